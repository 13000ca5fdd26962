// Whether a device proven earlier (at sign-in) still stands now: its certificate on record, unrevoked and
// unexpired, the device active, its owner enabled, distribution on. Sessions and tokens of a device-proven
// sign-in are re-checked with this on every use, so revoking a device or switching distribution off takes
// effect at once.
import type { CheckedDevice } from './check.js';
import { distributionOn, type TrustContext } from './context.js';
import { DISTRIBUTION_OFF, standingRefusal, trustOf } from './decisions.js';

export type DeviceStanding =
  { ok: true; device: CheckedDevice; notAfter: Date } | { ok: false; code: string; reason: string };

export async function deviceStanding(ctx: TrustContext, deviceId: string, serial: string): Promise<DeviceStanding> {
  const now = ctx.now();
  if (!(await distributionOn(ctx))) return { ok: false, code: DISTRIBUTION_OFF.code, reason: DISTRIBUTION_OFF.message };
  const [certificate, device] = await Promise.all([ctx.store.certificate(serial), ctx.store.device(deviceId)]);
  const refusal = standingRefusal({
    verified: { deviceId, spkiSha256: certificate?.spkiSha256 ?? '' },
    certificate,
    device,
  });
  if (refusal) return { ok: false, code: refusal.code, reason: refusal.message };
  if (certificate!.notAfter <= now.getTime()) {
    return { ok: false, code: 'ERR_CERT_EXPIRED', reason: 'the device certificate has expired' };
  }
  const owner = await ctx.users.findById(device!.userId);
  if (!owner || owner.disabled)
    return { ok: false, code: 'ERR_USER_DISABLED', reason: 'the owner of this device is disabled' };
  const status = trustOf(device!);
  return {
    ok: true,
    notAfter: new Date(certificate!.notAfter),
    device: {
      id: device!.id,
      userId: device!.userId,
      platform: device!.platform,
      osVersion: device!.osVersion,
      managed: device!.managed,
      integrity: device!.integrity,
      compliant: status === 'trusted',
    },
  };
}

export type DeviceRecordStanding = { ok: true; device: CheckedDevice } | { ok: false; code: string; reason: string };

/**
 * Whether device `deviceId` stands without a certificate in hand (a device-bound passkey registered on it
 * proved it): on record and active, its owner enabled, distribution on.
 */
export async function deviceRecordStanding(ctx: TrustContext, deviceId: string): Promise<DeviceRecordStanding> {
  const device = await ctx.store.device(deviceId);
  if (!device || device.status !== 'active') {
    return { ok: false, code: 'ERR_DEVICE_REVOKED', reason: 'the device was removed or revoked' };
  }
  if (!(await distributionOn(ctx))) return { ok: false, code: DISTRIBUTION_OFF.code, reason: DISTRIBUTION_OFF.message };
  const owner = await ctx.users.findById(device.userId);
  if (!owner || owner.disabled) {
    return { ok: false, code: 'ERR_USER_DISABLED', reason: 'the owner of this device is disabled' };
  }
  return {
    ok: true,
    device: {
      id: device.id,
      userId: device.userId,
      platform: device.platform,
      osVersion: device.osVersion,
      managed: device.managed,
      integrity: device.integrity,
      compliant: trustOf(device) === 'trusted',
    },
  };
}
