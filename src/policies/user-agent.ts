// Platform and OS version from a User-Agent string (ua-parser-js 1.x, MIT), and platform-name normalisation
// for device posture reports. Browsers freeze parts of the UA (macOS stays "10.15.7", Windows 11 reads as
// "10"), so the device record's posture is preferred whenever a device is proven.
import UAParser from 'ua-parser-js';
import { PLATFORMS, type Platform } from './types.js';

export interface UserAgentPlatform {
  readonly platform: Platform | null;
  readonly osVersion: string | null;
}

const OS_NAMES: ReadonlyMap<string, Platform> = new Map([
  ['windows', 'windows'],
  ['mac os', 'macos'],
  ['macos', 'macos'],
  ['mac os x', 'macos'],
  ['darwin', 'macos'],
  ['ios', 'ios'],
  ['ipados', 'ios'],
  ['android', 'android'],
  ['chromium os', 'chromeos'],
  ['chrome os', 'chromeos'],
  ['chromeos', 'chromeos'],
  ['linux', 'linux'],
  ['ubuntu', 'linux'],
  ['debian', 'linux'],
  ['fedora', 'linux'],
  ['red hat', 'linux'],
  ['centos', 'linux'],
  ['suse', 'linux'],
  ['opensuse', 'linux'],
  ['arch', 'linux'],
  ['gentoo', 'linux'],
  ['mint', 'linux'],
  ['manjaro', 'linux'],
  ['kubuntu', 'linux'],
  ['xubuntu', 'linux'],
  ['elementary os', 'linux'],
  ['deepin', 'linux'],
  ['linpus', 'linux'],
]);

/** Map an OS name (from a UA parser or a device posture report) to a Latchkey platform; null if unknown. */
export function normalisePlatformName(name: string | undefined): Platform | null {
  if (name === undefined) return null;
  const key = name.trim().toLowerCase();
  if ((PLATFORMS as readonly string[]).includes(key)) return key as Platform;
  return OS_NAMES.get(key) ?? null;
}

/** Recently parsed user agents: a handful of browser builds make up most sign-ins, and parsing is costly. */
const recent = new Map<string, UserAgentPlatform>();
const RECENT_LIMIT = 512;

/** Parse platform and OS version from a User-Agent header; unknown parts are null. */
export function parseUserAgent(userAgent: string | undefined): UserAgentPlatform {
  if (userAgent === undefined || userAgent.trim() === '') return { platform: null, osVersion: null };
  const known = recent.get(userAgent);
  if (known !== undefined) return known;
  const os = new UAParser(userAgent).getOS();
  const platform = normalisePlatformName(os.name);
  const osVersion = platform !== null && os.version !== undefined && os.version !== '' ? os.version : null;
  const parsed = Object.freeze({ platform, osVersion });
  if (recent.size >= RECENT_LIMIT) recent.clear();
  recent.set(userAgent, parsed);
  return parsed;
}
