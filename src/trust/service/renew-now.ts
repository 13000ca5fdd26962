// An admin lets a device renew now instead of at its renewal window (after changing the CA, the profile
// or the lifetime, or to rotate a key at once): `latchkey devices renew-now DEVICE`. Kept as a per-device
// shared setting holding the time it was given: certificates issued before then may renew from then on;
// the certificate that renewal issues follows the ordinary window again.
import { auditAdminAction, type Origin, type TrustContext } from './context.js';
import { DeviceTrustError } from './errors.js';

function settingKey(deviceId: string): string {
  return `device_trust.renewable_from.${deviceId}`;
}

/** Makes the device's current certificates renewable from now; refused for unknown or revoked devices. */
export async function renewNow(ctx: TrustContext, deviceId: string, origin: Origin): Promise<Date> {
  const device = await ctx.store.device(deviceId);
  if (!device) throw new DeviceTrustError('ERR_DEVICE_NOT_FOUND', `no device with id ${deviceId}`);
  if (device.status !== 'active') {
    throw new DeviceTrustError(
      'ERR_DEVICE_REVOKED',
      `device ${deviceId} is revoked: it cannot renew; give its user a new enrollment token instead`,
    );
  }
  const at = ctx.now();
  await ctx.settings.set(settingKey(deviceId), at.getTime(), origin.actor ?? null);
  await auditAdminAction(ctx, 'admin.device.renew-now', origin, { userId: device.userId, deviceId });
  return at;
}

/** When an admin made a certificate issued at `issuedAt` (ms) renewable early, or null. */
export async function renewableFrom(ctx: TrustContext, deviceId: string, issuedAt: number): Promise<Date | null> {
  const at = await ctx.settings.get<number | null>(settingKey(deviceId), null);
  return at !== null && issuedAt <= at ? new Date(at) : null;
}
