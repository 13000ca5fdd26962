// Renewal over mTLS: the current certificate authenticates the device. Verify the chain, check it stands
// in the database, that distribution is on and the window open, then issue the next certificate (same key,
// or the key of an optional CSR) and supersede the old one in one transaction. The device carries over.
import { parseAndVerifyCsr } from '../csr.js';
import { deviceCertificateError } from '../verify.js';
import { distributionOn, type Origin, type TrustContext } from './context.js';
import { renewalRefusal } from './decisions.js';
import { DeviceTrustError } from './errors.js';
import { auditedIssuance, certificateRow, type IssuedDevice, issuedDevice, signLeaf } from './issuing.js';
import { recordsOf, verifyPresented } from './presented.js';
import { renewableFrom } from './renew-now.js';

export interface RenewalInput {
  /** DER of the client certificate from the TLS handshake; null when none was presented. */
  certificateDer: Uint8Array | null;
  /** PEM CSR for a new key; absent: certify the current key again. */
  csrPem?: string;
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
  const verified = await verifyPresented(ctx, input.certificateDer, now);
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
  const publicKey = input.csrPem ? (await parseAndVerifyCsr(input.csrPem)).publicKey : verified.certificate.publicKey;
  const owner = { deviceId: verified.deviceId, userId: records.certificate!.userId };
  const leaf = await signLeaf(ctx, publicKey, owner.deviceId, now);
  await ctx.store.transaction(async (trx) => {
    // Only one of two concurrent renewals with the same certificate supersedes it; the other rolls back.
    if (!(await ctx.store.revokeCertificate(verified.serial, 'superseded', now.getTime(), trx))) {
      throw new DeviceTrustError('ERR_RENEWAL_CONFLICT', 'this certificate was renewed by another request');
    }
    await ctx.store.insertCertificate(certificateRow(leaf, { ...owner, renewedFrom: verified.serial, now }), trx);
    await ctx.store.updatePosture(owner.deviceId, {}, now.getTime(), trx);
  });
  return issuedDevice(ctx, leaf, owner);
}
