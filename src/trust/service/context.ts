// What every device-trust operation works with: the ports it is given (repository, sealed box, settings,
// audit log, users), the settings, the clock, and the CA in use. Built once by DeviceTrustService.
import { crlUrl, deviceCheckPublicUrl, type DeviceTrustSettings } from '../../config/device-trust.js';
import type { SealedBox } from '../../crypto/sealed-box.js';
import { LatchkeyError } from '../../errors.js';
import type { AuditEvent, AuditLog } from '../../store/audit.js';
import type { DeviceTrustStore } from '../../store/device-trust.js';
import type { SettingsRepository } from '../../store/settings.js';
import type { User } from '../../store/users.js';
import { ActiveCa } from './active-ca.js';

/** Settings key of the global certificate distribution switch (true/false; absent = on). */
export const DISTRIBUTION_SETTING = 'device_trust.distribution';

export interface DeviceTrustConfig {
  issuer: string;
  device_check: { port: number; public_url: string | null };
  device_trust: DeviceTrustSettings;
}

export interface DeviceTrustDeps {
  store: DeviceTrustStore;
  box: Pick<SealedBox, 'seal' | 'openText'>;
  settings: Pick<SettingsRepository, 'get' | 'set'>;
  audit: Pick<AuditLog, 'record'>;
  users: { findById(id: string): Promise<User | undefined>; require(username: string): Promise<User> };
  config: DeviceTrustConfig;
  now: () => Date;
  /** Told after a device was revoked (its sessions end). */
  onDeviceRevoked?: (deviceId: string) => Promise<void>;
}

/** Who asked, for the audit log: an admin ("cli", an API client) or a device's request. */
export interface Origin {
  actor?: string;
  ip?: string | null;
  userAgent?: string | null;
}

export interface TrustContext extends DeviceTrustDeps {
  ca: ActiveCa;
  /** Origin of the device-check listener, sent to agents. */
  deviceCheckUrl: string;
  /** URL of the CRL of intermediate `id`, written into the certificates it issues. */
  crlUrlFor(intermediateId: string): string;
}

/** The context every device-trust operation runs in, over `deps` (its own CA cache). */
export function createTrustContext(deps: DeviceTrustDeps): TrustContext {
  return {
    ...deps,
    ca: new ActiveCa(deps.store, deps.box),
    deviceCheckUrl: deviceCheckPublicUrl(deps.config),
    crlUrlFor: (intermediateId) => crlUrl(deps.config, intermediateId),
  };
}

/** Whether certificate distribution is on (the global switch). */
export async function distributionOn(ctx: TrustContext): Promise<boolean> {
  return (await ctx.settings.get<boolean>(DISTRIBUTION_SETTING, true)) !== false;
}

/**
 * Runs `work` and writes one audit event for it: `success` with what `describe` adds, or `failure` with
 * the error's code as the reason (then rethrows).
 */
export async function audited<T>(
  ctx: TrustContext,
  event: AuditEvent,
  work: () => Promise<T>,
  describe: (result: T) => Partial<AuditEvent> = () => ({}),
): Promise<T> {
  let result: T;
  try {
    result = await work();
  } catch (error) {
    const code = error instanceof LatchkeyError ? error.code : 'ERR_INTERNAL';
    await ctx.audit.record({ ...event, outcome: 'failure', reasons: [code] });
    throw error;
  }
  await ctx.audit.record({ ...event, ...describe(result) });
  return result;
}

/** Records a successful admin action taken by `origin`, with what it touched. */
export function auditAdminAction(
  ctx: TrustContext,
  event: string,
  origin: Origin,
  fields: Omit<AuditEvent, 'event' | 'outcome' | 'actor' | 'ip' | 'userAgent'> = {},
): Promise<void> {
  return ctx.audit.record({ event, outcome: 'success', ...auditOrigin(origin), ...fields });
}

/** The audit fields of an origin. */
export function auditOrigin(origin: Origin): Pick<AuditEvent, 'actor' | 'ip' | 'userAgent'> {
  return { actor: origin.actor ?? null, ip: origin.ip ?? null, userAgent: origin.userAgent ?? null };
}
