// The device check: what a presented client certificate is worth right now (trusted, managed, unmanaged,
// revoked or invalid), from the chain and the database state. The agent's `status --check` and the
// sign-in step read it; a standing device's last_seen is updated.
import { type TrustContext, distributionOn } from './context.js';
import { type DeviceCheckDecision, deviceCheckDecision } from './decisions.js';
import { recordsOf, verifyPresented } from './presented.js';

const LAST_SEEN_RESOLUTION_MS = 60_000;

export interface CheckedDevice {
  id: string;
  userId: string;
  platform: string;
  osVersion: string | null;
  managed: boolean;
  integrity: 'passed' | 'failed' | 'unknown';
  /** Integrity passed on a managed device: what policies call compliant. */
  compliant: boolean;
}

export interface DeviceCheckResult extends DeviceCheckDecision {
  /** Present when the certificate verified and names a device on record. */
  device?: CheckedDevice;
  certificate?: { serial: string; notAfter: Date };
}

/** Checks the presented certificate (DER; null when none) at the service's `now`. */
export async function checkDevice(ctx: TrustContext, certificateDer: Uint8Array | null): Promise<DeviceCheckResult> {
  const on = await distributionOn(ctx);
  if (!on || !certificateDer) {
    return deviceCheckDecision({ distributionOn: on, verification: null, certificate: undefined, device: undefined });
  }
  const now = ctx.now();
  const verification = await verifyPresented(ctx, certificateDer, now);
  if (!verification.ok) {
    return deviceCheckDecision({ distributionOn: on, verification, certificate: undefined, device: undefined });
  }
  const { certificate, device } = await recordsOf(ctx, verification);
  const standing = deviceCheckDecision({ distributionOn: on, verification, certificate, device });
  // A disabled owner's device proves nothing: it reports like a revoked one.
  const owner = device ? await ctx.users.findById(device.userId) : undefined;
  const decision: DeviceCheckDecision =
    device && (!owner || owner.disabled) && (standing.status === 'trusted' || standing.status === 'managed')
      ? { status: 'revoked', reason: 'the owner of this device is disabled', code: 'ERR_USER_DISABLED' }
      : standing;
  // "Last seen" is for people reading the device list: a write per check would cost every sign-in a
  // write for nothing, so it is refreshed at most once a minute.
  const stale = !device?.lastSeenAt || now.getTime() - device.lastSeenAt >= LAST_SEEN_RESOLUTION_MS;
  if ((decision.status === 'trusted' || decision.status === 'managed') && stale) {
    await ctx.store.updatePosture(verification.deviceId, {}, now.getTime());
  }
  return {
    ...decision,
    certificate: { serial: verification.serial, notAfter: verification.notAfter },
    ...(device
      ? {
          device: {
            id: device.id,
            userId: device.userId,
            platform: device.platform,
            osVersion: device.osVersion,
            managed: device.managed,
            integrity: device.integrity,
            compliant: decision.status === 'trusted',
          },
        }
      : {}),
  };
}
