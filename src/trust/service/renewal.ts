// Renewal: the current certificate authenticates the device (over mTLS here, as the signer of a SCEP
// RenewalReq in scep/). Verify the chain, check it stands in the database, that distribution is on and the
// window open, then issue the next certificate (same key, or the key of an optional CSR) and supersede the
// old one in one transaction. The device carries over.
import type { Knex } from 'knex';
import { parseAndVerifyCsr } from '../csr.js';
import { deviceCertificateError, type VerifiedDeviceCertificate } from '../verify.js';
import type { x509 } from '../x509.js';
import { distributionOn, type Origin, type TrustContext } from './context.js';
import { renewalRefusal } from './decisions.js';
import { DeviceTrustError } from './errors.js';
import {
  auditedIssuance,
  certificateRow,
  type IssuedDevice,
  issuedDevice,
  type SignedLeaf,
  signLeaf,
} from './issuing.js';
import { recordsOf, verifyPresented } from './presented.js';
import { renewableFrom } from './renew-now.js';

export interface RenewalInput {
  /** DER of the client certificate from the TLS handshake; null when none was presented. */
  certificateDer: Uint8Array | null;
  /** PEM CSR for a new key; absent: certify the current key again. */
  csrPem?: string;
}

/** A presented certificate that may be renewed now, and whose device and user it names. */
export interface RenewableCertificate {
  verified: VerifiedDeviceCertificate;
  owner: { deviceId: string; userId: string };
}

/** POST /device/renew on the device-check listener. */
export async function renew(ctx: TrustContext, input: RenewalInput, origin: Origin): Promise<IssuedDevice> {
  return auditedIssuance(ctx, 'device.renew', origin, () => renewCertificate(ctx, input));
}

async function renewCertificate(ctx: TrustContext, input: RenewalInput): Promise<IssuedDevice> {
  if (!input.certificateDer) {
    throw new DeviceTrustError('ERR_CERT_MISSING', 'renewal needs the current device certificate (mutual TLS)');
  }
  const now = ctx.now();
  const renewable = await renewableCertificate(ctx, input.certificateDer, now);
  const publicKey = input.csrPem
    ? (await parseAndVerifyCsr(input.csrPem)).publicKey
    : renewable.verified.certificate.publicKey;
  const leaf = await supersede(ctx, renewable, publicKey, now);
  return issuedDevice(ctx, leaf, renewable.owner);
}

/**
 * Whether `certificateDer` may renew at `now`: it verifies up to our root, stands in the database, its
 * owner is enabled, distribution is on and the renewal window open. Throws the refusal (ERR_CERT_*,
 * ERR_DEVICE_*, ERR_RENEWAL_NOT_DUE, ERR_USER_DISABLED) otherwise.
 */
export async function renewableCertificate(
  ctx: TrustContext,
  certificateDer: Uint8Array,
  now: Date,
): Promise<RenewableCertificate> {
  const verified = await verifyPresented(ctx, certificateDer, now);
  if (!verified.ok) throw deviceCertificateError(verified);
  const records = await recordsOf(ctx, verified);
  const early = records.certificate ? await renewableFrom(ctx, verified.deviceId, records.certificate.issuedAt) : null;
  const refusal = renewalRefusal({
    verified,
    ...records,
    distributionOn: await distributionOn(ctx),
    notBefore: verified.notBefore,
    notAfter: verified.notAfter,
    now,
    fraction: ctx.config.device_trust.renewal_fraction,
    renewableFrom: early,
  });
  if (refusal) throw DeviceTrustError.from(refusal, { serial: verified.serial, deviceId: verified.deviceId });
  const user = await ctx.users.findById(records.certificate!.userId);
  if (!user || user.disabled) throw new DeviceTrustError('ERR_USER_DISABLED', 'the owner of this device is disabled');
  return { verified, owner: { deviceId: verified.deviceId, userId: user.id } };
}

/**
 * Signs the successor of `renewable` for `publicKey`, then supersedes the old certificate and records the
 * new one in one transaction; `alsoInTransaction` adds a caller's own writes to it (SCEP's nonce).
 */
export async function supersede(
  ctx: TrustContext,
  renewable: RenewableCertificate,
  publicKey: x509.PublicKey,
  now: Date,
  alsoInTransaction: (trx: Knex.Transaction, leaf: SignedLeaf) => Promise<void> = async () => {},
): Promise<SignedLeaf> {
  const { verified, owner } = renewable;
  const leaf = await signLeaf(ctx, publicKey, owner.deviceId, now);
  await ctx.store.transaction(async (trx) => {
    // Only one of two concurrent renewals with the same certificate supersedes it; the other rolls back.
    if (!(await ctx.store.revokeCertificate(verified.serial, 'superseded', now.getTime(), trx))) {
      throw new DeviceTrustError('ERR_RENEWAL_CONFLICT', 'this certificate was renewed by another request');
    }
    await alsoInTransaction(trx, leaf);
    await ctx.store.insertCertificate(certificateRow(leaf, { ...owner, renewedFrom: verified.serial, now }), trx);
    await ctx.store.updatePosture(owner.deviceId, {}, now.getTime(), trx);
  });
  return leaf;
}
