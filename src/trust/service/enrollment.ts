// Enrollment: an admin creates a single-use token for a user; the agent sends it with a CSR and posture.
// Parse → verify → decide, then one transaction that consumes the token, creates the device and records
// its certificate: a refused or losing request changes nothing.
import { randomUUID } from 'node:crypto';
import { parseAndVerifyCsr } from '../csr.js';
import { auditAdminAction, distributionOn, type Origin, type TrustContext } from './context.js';
import { DISTRIBUTION_OFF, integrityFromPosture, tokenRefusal } from './decisions.js';
import { DeviceTrustError } from './errors.js';
import { auditedIssuance, type IssuedDevice, issuedDevice, recordNewDevice, signLeaf } from './issuing.js';
import type { EnrollmentRequest } from './requests.js';

const MIN_TOKEN_TTL_SECONDS = 60;
const MAX_TOKEN_TTL_SECONDS = 30 * 86400;

export interface CreatedEnrollmentToken {
  /** The token itself: shown once, stored only as a hash. */
  token: string;
  username: string;
  expiresAt: Date;
}

/** Creates a single-use enrollment token for `username` (ttl default from device_trust settings). */
export async function createEnrollmentToken(
  ctx: TrustContext,
  username: string,
  options: { ttlSeconds?: number } & Origin,
): Promise<CreatedEnrollmentToken> {
  const ttl = options.ttlSeconds ?? ctx.config.device_trust.enrollment_token_ttl_seconds;
  if (!Number.isInteger(ttl) || ttl < MIN_TOKEN_TTL_SECONDS || ttl > MAX_TOKEN_TTL_SECONDS) {
    throw new DeviceTrustError(
      'ERR_ENROLLMENT_TOKEN_TTL',
      'an enrollment token must live between 1 minute and 30 days',
      {
        ttl,
      },
    );
  }
  const user = await ctx.users.require(username);
  if (user.disabled) throw new DeviceTrustError('ERR_USER_DISABLED', `the user ${user.username} is disabled`);
  const now = ctx.now().getTime();
  const { token, record } = await ctx.store.createEnrollmentToken(user.id, ttl * 1000, options.actor ?? null, now);
  await auditAdminAction(ctx, 'admin.device.enroll-token', options, {
    userId: user.id,
    username: user.username,
    detail: { tokenId: record.id, expiresAt: record.expiresAt },
  });
  return { token, username: user.username, expiresAt: new Date(record.expiresAt) };
}

/** POST /device/enroll: verifies the CSR and token, then creates the device and its first certificate. */
export async function enroll(ctx: TrustContext, request: EnrollmentRequest, origin: Origin): Promise<IssuedDevice> {
  return auditedIssuance(ctx, 'device.enroll', origin, () => enrollDevice(ctx, request));
}

async function enrollDevice(ctx: TrustContext, request: EnrollmentRequest): Promise<IssuedDevice> {
  const now = ctx.now();
  const csr = await parseAndVerifyCsr(request.csr);
  const token = await ctx.store.findUsableToken(request.token, now.getTime());
  if (!token) {
    throw DeviceTrustError.from(tokenRefusal((await ctx.store.tokenProblem(request.token, now.getTime())) ?? 'used'));
  }
  if (!(await distributionOn(ctx))) throw DeviceTrustError.from(DISTRIBUTION_OFF);
  const user = await ctx.users.findById(token.userId);
  if (!user || user.disabled) throw new DeviceTrustError('ERR_USER_DISABLED', 'the user of this token is disabled');
  const owner = { deviceId: randomUUID(), userId: user.id };
  const leaf = await signLeaf(ctx, csr.publicKey, owner.deviceId, now);
  await ctx.store.transaction(async (trx) => {
    // Exactly one of two concurrent uses of a token gets here with `true`; the other rolls back.
    if (!(await ctx.store.consumeToken(token.id, owner.deviceId, now.getTime(), trx))) {
      throw DeviceTrustError.from(tokenRefusal('used'));
    }
    const device = {
      platform: request.posture.platform,
      osVersion: request.posture.osVersion ?? null,
      hostname: request.posture.hostname ?? null,
      integrity: integrityFromPosture(request.posture.integrity),
      source: 'agent' as const,
    };
    await recordNewDevice(ctx, trx, device, leaf, owner, now);
  });
  return issuedDevice(ctx, leaf, owner);
}
