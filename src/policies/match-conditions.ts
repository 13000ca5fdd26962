// Whether a policy's conditions hold for a sign-in. Every condition present must hold; within one condition
// any listed value may. Each check gives a readable reason; checking stops at the first that fails.
import { UNKNOWN_COUNTRY } from './countries.js';
import { findNetworkEntry } from './network.js';
import type { SignIn } from './sign-in.js';
import type { CompiledConditions, ConditionName, NetworkEntry, PlatformRule } from './types.js';
import { formatVersion, meetsMinimumVersion } from './version.js';

export interface ConditionCheck {
  readonly match: boolean;
  readonly reason: string;
}

export interface ConditionsResult {
  readonly match: boolean;
  /** Conditions that held, in checking order. */
  readonly matched: ConditionName[];
  /** One reason per condition checked (the last is the failure when match is false). */
  readonly reasons: string[];
}

type Checker = (conditions: CompiledConditions, signIn: SignIn) => ConditionCheck | null;

const CHECKS: readonly (readonly [ConditionName, Checker])[] = [
  ['device', (c, s) => (c.device === null ? null : checkDevice(c.device, s))],
  ['platforms', (c, s) => (c.platforms === null ? null : checkPlatform(c.platforms, s))],
  [
    'not_platforms',
    (c, s) => (c.notPlatforms === null ? null : negate(checkPlatform(c.notPlatforms, s), 'not_platforms')),
  ],
  ['ip', (c, s) => (c.ip === null ? null : checkIp(c.ip, s))],
  ['not_ip', (c, s) => (c.notIp === null ? null : negate(checkIp(c.notIp, s), 'not_ip'))],
  ['countries', (c, s) => (c.countries === null ? null : checkCountry(c.countries, s))],
  [
    'not_countries',
    (c, s) => (c.notCountries === null ? null : negate(checkCountry(c.notCountries, s), 'not_countries')),
  ],
];

/** Check every condition of a policy against the sign-in, stopping at the first that does not hold. */
export function checkConditions(conditions: CompiledConditions, signIn: SignIn): ConditionsResult {
  const matched: ConditionName[] = [];
  const reasons: string[] = [];
  for (const [name, check] of CHECKS) {
    const result = check(conditions, signIn);
    if (result === null) continue;
    reasons.push(result.reason);
    if (!result.match) return { match: false, matched, reasons };
    matched.push(name);
  }
  if (reasons.length === 0) reasons.push('the policy has no conditions');
  return { match: true, matched, reasons };
}

const listTexts = new WeakMap<object, string>();

/** "a, b, c" for a set, map or entry list; computed once per compiled list. */
function listText(list: ReadonlySet<string> | PlatformRule | readonly NetworkEntry[]): string {
  let text = listTexts.get(list);
  if (text === undefined) {
    const items = Array.isArray(list) ? list.map((entry: NetworkEntry) => entry.label) : [...list.keys()];
    text = items.join(', ');
    listTexts.set(list, text);
  }
  return text;
}

function negate(check: ConditionCheck, name: string): ConditionCheck {
  return { match: !check.match, reason: `${name}: ${check.reason}` };
}

function checkDevice(levels: ReadonlySet<string>, signIn: SignIn): ConditionCheck {
  const device = signIn.facts.device;
  const subject =
    device === undefined ? 'no device is proven, so the device is unmanaged' : `device ${device.id} is ${signIn.trust}`;
  return levels.has(signIn.trust)
    ? { match: true, reason: `${subject} (condition: ${listText(levels)})` }
    : { match: false, reason: `${subject}, not ${listText(levels)}` };
}

function checkPlatform(rule: PlatformRule, signIn: SignIn): ConditionCheck {
  const { platform, version, versionText, source } = signIn.platform();
  if (platform === null) return { match: false, reason: `platform is unknown (from ${source}), not ${listText(rule)}` };
  if (!rule.has(platform)) return { match: false, reason: `platform ${platform} is not one of ${listText(rule)}` };
  const minimum = rule.get(platform) ?? null;
  if (minimum === null) return { match: true, reason: `platform ${platform} is one of ${listText(rule)}` };
  const shown = `${platform} ${versionText ?? '(version unknown)'}`;
  return meetsMinimumVersion(version, minimum)
    ? { match: true, reason: `platform ${shown} meets minimum ${formatVersion(minimum)} (from ${source})` }
    : { match: false, reason: `platform ${shown} is below minimum ${formatVersion(minimum)} (from ${source})` };
}

function checkIp(entries: readonly NetworkEntry[], signIn: SignIn): ConditionCheck {
  if (signIn.ip === null) return { match: false, reason: `ip "${signIn.facts.ip}" is not a valid address` };
  const entry = findNetworkEntry(entries, signIn.ip);
  return entry === null
    ? { match: false, reason: `ip ${signIn.ip.text} is not in ${listText(entries)}` }
    : { match: true, reason: `ip ${signIn.ip.text} is in ${entry.label}` };
}

function checkCountry(countries: ReadonlySet<string>, signIn: SignIn): ConditionCheck {
  const known = signIn.country;
  const list = listText(countries);
  if (known === null) {
    return countries.has(UNKNOWN_COUNTRY)
      ? { match: true, reason: `country is unknown, which ${list} includes` }
      : { match: false, reason: `country is unknown, not one of ${list}` };
  }
  return countries.has(known)
    ? { match: true, reason: `country ${known} is one of ${list}` }
    : { match: false, reason: `country ${known} is not one of ${list}` };
}
