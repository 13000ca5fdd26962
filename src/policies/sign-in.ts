// The facts of one sign-in as the matchers need them, derived once per evaluation: the address parsed to
// bytes, the country normalised, the device trust level, and platform/OS version (from the proven device's
// posture when there is one, else from the user agent, parsed only if a platform condition asks).
import { normaliseCountryCode } from './countries.js';
import { parseIp, type IpAddress } from './network.js';
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

/** The matcher view of a sign-in's facts. */
export class SignIn {
  readonly ip: IpAddress | null;
  readonly country: string | null;
  readonly trust: DeviceTrust;
  #platform: PlatformFacts | undefined;

  constructor(readonly facts: Facts) {
    this.ip = parseIp(facts.ip);
    this.country = normaliseCountryCode(facts.country);
    this.trust = facts.device?.trust ?? 'unmanaged';
  }

  /** Platform facts, worked out on first use (parsing a user agent is the costliest step). */
  platform(): PlatformFacts {
    this.#platform ??= platformFacts(this.facts);
    return this.#platform;
  }
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
