// Enrollment by PKCSReq: the request's challenge decides whose device this is (decisions.ts), then one
// transaction claims the request's nonce, consumes a one-time challenge, creates the device (managed,
// source scep, the profile's platform) and records its first certificate. A refused or losing request
// changes nothing: of N parallel requests with one one-time challenge exactly one gets a certificate.
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { recordedPlatform } from '../../../config/scep.js';
import { hashChallenge } from '../../../store/scep.js';
import { spkiSha256 } from '../../digest.js';
import type { PkiMessage } from '../../scep/pki-message.js';
import { csrClaims } from '../../scep/csr-claims.js';
import { distributionOn } from '../context.js';
import { DISTRIBUTION_OFF } from '../decisions.js';
import { DeviceTrustError } from '../errors.js';
import { recordNewDevice, type SignedLeaf, signLeaf } from '../issuing.js';
import type { ScepContext, ScepProfile } from './context.js';
import { decideRequester, isRefusal } from './decisions.js';
import { claimNonce } from './nonce.js';
import type { RequestCsr } from './request-csr.js';
import { refuse, REFUSALS } from './refusals.js';

/** What an enrollment or renewal issued, for the CertRep and the audit log. */
export interface ScepIssued {
  leaf: SignedLeaf;
  owner: { deviceId: string; userId: string };
}

/** Enrolls a new device for the requester the PKCSReq's challenge names. */
export async function enrollByChallenge(
  ctx: ScepContext,
  profile: ScepProfile,
  message: PkiMessage,
  csr: RequestCsr,
  now: Date,
): Promise<ScepIssued> {
  if (csr.verified.spkiSha256 !== (await spkiSha256(message.signer.publicKey))) refuse(REFUSALS.signerMismatch);
  const claims = csrClaims(csr.parsed);
  const requester = decideRequester(await challengeFacts(ctx, profile, claims, now));
  if (isRefusal(requester)) refuse(requester);
  if (!(await distributionOn(ctx.trust))) throw DeviceTrustError.from(DISTRIBUTION_OFF);
  const owner = { deviceId: randomUUID(), userId: requester.userId };
  const leaf = await signLeaf(ctx.trust, csr.verified.publicKey, owner.deviceId, now);
  await ctx.store.transaction(async (trx) => {
    await claimNonce(ctx, trx, message, { profile: profile.name, serial: leaf.issued.serial, ...owner, now });
    // Exactly one of concurrent uses of a one-time challenge gets `true`; the others roll back.
    const oneTime = requester.oneTimeChallengeId;
    if (oneTime && !(await ctx.store.consumeChallenge(oneTime, owner.deviceId, now.getTime(), trx))) {
      refuse(REFUSALS.challengeUsed);
    }
    const device = {
      platform: recordedPlatform(profile.platform),
      osVersion: null,
      hostname: claims.commonName ?? null,
      integrity: profile.integrity,
      source: 'scep' as const,
    };
    await recordNewDevice(ctx.trust, trx, device, leaf, owner, now);
  });
  return { leaf, owner };
}

async function challengeFacts(
  ctx: ScepContext,
  profile: ScepProfile,
  claims: ReturnType<typeof csrClaims>,
  now: Date,
): Promise<Parameters<typeof decideRequester>[0]> {
  const { challenge } = claims;
  const oneTime = challenge ? await ctx.store.findChallenge(challenge) : undefined;
  const stored = challenge ? await ctx.store.staticChallenge(profile.name) : undefined;
  const named = await Promise.all(
    [...claims.emails, ...claims.upns].map(async (name) => ({ name, user: await ctx.users.findByLogin(name) })),
  );
  return {
    profile: profile.name,
    now: now.getTime(),
    challenge,
    oneTime: oneTime && { ...oneTime, user: await ctx.users.findById(oneTime.userId) },
    matchesStatic: !!challenge && !!stored && sameHash(hashChallenge(challenge), stored.hash),
    named,
  };
}

function sameHash(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}
