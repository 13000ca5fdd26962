// What every SCEP operation works with: the device-trust context (CA, devices, certificates, audit, the
// switch), the SCEP store, the settings, the RA, and the users it maps requests to. Built once by
// ScepService.
import type { ScepProfileSettings, ScepSettings } from '../../../config/scep.js';
import { NotFoundError } from '../../../errors.js';
import type { ScepStore } from '../../../store/scep.js';
import type { User } from '../../../store/users.js';
import type { TrustContext } from '../context.js';
import type { ActiveRa } from './ra.js';

export interface ScepContext {
  trust: TrustContext;
  store: ScepStore;
  settings: ScepSettings;
  ra: ActiveRa;
  /** Finds a user by username or email (what an email or UPN SAN names). */
  users: { findById(id: string): Promise<User | undefined>; findByLogin(login: string): Promise<User | undefined> };
}

/** A configured profile with its name. */
export interface ScepProfile extends ScepProfileSettings {
  name: string;
}

/** The profile named `name`; ERR_SCEP_PROFILE_UNKNOWN (404) when none is configured. */
export function profileNamed(ctx: Pick<ScepContext, 'settings'>, name: string): ScepProfile {
  const settings = Object.hasOwn(ctx.settings.profiles, name) ? ctx.settings.profiles[name] : undefined;
  if (!settings) {
    const known = Object.keys(ctx.settings.profiles);
    throw new NotFoundError(
      'ERR_SCEP_PROFILE_UNKNOWN',
      `no SCEP profile named "${name.slice(0, 64)}"${known.length ? ` (configured: ${known.join(', ')})` : ' (none is configured)'}`,
    );
  }
  return { name, ...settings };
}
