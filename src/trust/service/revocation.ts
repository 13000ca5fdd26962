// Revoking devices and certificates (admin actions, audited) and the switch that turns distribution off
// for everyone. Revocation is database state: Latchkey's own checks see it at once; the CRL follows.
import { REVOCATION_REASONS, type RevocationReason } from '../ca/crl.js';
import { normalizeSerial } from '../serial.js';
import { auditAdminAction, DISTRIBUTION_SETTING, type Origin, type TrustContext } from './context.js';
import { DeviceTrustError } from './errors.js';

/** Checks that `reason` is an RFC 5280 reason Latchkey records. */
export function revocationReason(reason: string): RevocationReason {
  if (!(REVOCATION_REASONS as readonly string[]).includes(reason)) {
    throw new DeviceTrustError(
      'ERR_REVOCATION_REASON',
      `unknown revocation reason "${reason}": use one of ${REVOCATION_REASONS.join(', ')}`,
    );
  }
  return reason as RevocationReason;
}

/** Revokes a device and all its certificates; returns how many certificates were revoked. */
export async function revokeDevice(
  ctx: TrustContext,
  deviceId: string,
  options: { reason?: string } & Origin,
): Promise<number> {
  const reason = revocationReason(options.reason ?? 'cessationOfOperation');
  const device = await ctx.store.device(deviceId);
  if (!device) throw new DeviceTrustError('ERR_DEVICE_NOT_FOUND', `no device with id ${deviceId}`);
  const revoked = await ctx.store.revokeDevice(deviceId, reason, ctx.now().getTime(), reason);
  if (revoked === null)
    throw new DeviceTrustError('ERR_DEVICE_ALREADY_REVOKED', `device ${deviceId} is already revoked`);
  await auditAdminAction(ctx, 'admin.device.revoke', options, {
    userId: device.userId,
    deviceId,
    reasons: [reason],
    detail: { certificates: revoked },
  });
  await ctx.onDeviceRevoked?.(deviceId);
  return revoked;
}

/** Revokes one certificate by serial (hex, any case, colons allowed). */
export async function revokeCertificate(
  ctx: TrustContext,
  serial: string,
  options: { reason: string } & Origin,
): Promise<void> {
  const reason = revocationReason(options.reason);
  const normalized = normalizeSerial(serial);
  const certificate = await ctx.store.certificate(normalized);
  if (!certificate) throw new DeviceTrustError('ERR_CERT_NOT_FOUND', `no device certificate with serial ${normalized}`);
  if (!(await ctx.store.revokeCertificate(normalized, reason, ctx.now().getTime()))) {
    throw new DeviceTrustError('ERR_CERT_ALREADY_REVOKED', `certificate ${normalized} is already revoked`);
  }
  await auditAdminAction(ctx, 'admin.certificate.revoke', options, {
    userId: certificate.userId,
    deviceId: certificate.deviceId,
    reasons: [reason],
    detail: { serial: normalized },
  });
}

/** Turns certificate distribution on or off for every device at once. */
export async function setDistribution(ctx: TrustContext, on: boolean, origin: Origin): Promise<void> {
  await ctx.settings.set(DISTRIBUTION_SETTING, on, origin.actor ?? null);
  await auditAdminAction(ctx, 'admin.device.distribution', origin, {
    detail: { distribution: on ? 'on' : 'off' },
  });
}
