// The facts of one sign-in as the matchers need them, derived once per evaluation: the address parsed to
// bytes, the country normalised, the device trust level, and platform/OS version (from the proven device's
// posture when there is one, else from the user agent, parsed only if a platform condition asks).
import { parseIp, type IpAddress } from './network.js';
import { normaliseCountryCode } from './countries.js';
import type { DeviceTrust, Facts, Platform } from './types.js';
import { parseUserAgent } from './user-agent.js';
import { parseReportedVersion } from './version.js';

export interface PlatformFacts {
  readonly platform: Platform | null;
  readonly version: readonly number[] | null;
  readonly versionText: string | null;
  /** Where the platform came from, for reasons. */
  readonly source: 'device posture' | 'user agent';
}

export interface SignIn {
  readonly facts: Facts;
  readonly ip: IpAddress | null;
  readonly country: string | null;
  readonly trust: DeviceTrust;
  /** Platform facts, computed on first use. */
  platform(): PlatformFacts;
}

/** Derive the matcher view of a sign-in's facts. */
export function toSignIn(facts: Facts): SignIn {
  let platform: PlatformFacts | undefined;
  return {
    facts,
    ip: parseIp(facts.ip),
    country: normaliseCountryCode(facts.country),
    trust: facts.device?.trust ?? 'unmanaged',
    platform: () => (platform ??= platformFacts(facts)),
  };
}

function platformFacts(facts: Facts): PlatformFacts {
  const device = facts.device;
  if (device?.platform !== undefined) return describe(device.platform, device.osVersion, 'device posture');
  if (facts.platform !== undefined) return describe(facts.platform, facts.osVersion, 'user agent');
  const parsed = parseUserAgent(facts.userAgent);
  return describe(parsed.platform, parsed.osVersion ?? undefined, 'user agent');
}

function describe(
  platform: Platform | null,
  versionText: string | undefined,
  source: PlatformFacts['source'],
): PlatformFacts {
  const version = parseReportedVersion(versionText);
  return { platform, version, versionText: version === null ? null : (versionText ?? null), source };
}
