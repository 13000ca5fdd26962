// The shape of a policy file, as a zod schema over the YAML document. Fields with their own syntax (CIDRs,
// requirement expressions, platform rules, versions, durations) are checked by small validators that report
// each problem at its exact path; checks across fields (names, references) live in cross-check.ts.
import { z } from 'zod';
import { countryCodeProblem } from './countries.js';
import { parseDuration } from './duration.js';
import { parseCidr } from './network.js';
import { MAX_REQUIREMENT_CLAUSES, normaliseRequirement } from './requirements.js';
import {
  CLIENT_TYPES,
  DEVICE_TRUST_LEVELS,
  FIRST_FACTOR_METHODS,
  OUTCOMES,
  PLATFORMS,
  POLICY_STATES,
  REQUIREMENT_NAMES,
  type Cidr,
  type Platform,
  type RequirementExpression,
  type RequirementName,
} from './types.js';
import { closestMatch, describeValue } from './suggest.js';
import { parsePolicyVersion } from './version.js';

type PathSegment = string | number;
type Report = (message: string, path?: PathSegment[]) => void;

/** Named locations and references to them: a letter, then letters, digits, `_` or `-`. */
export const LOCATION_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

/** Deepest all_of / any_of nesting accepted in `require`. */
const MAX_REQUIREMENT_DEPTH = 6;

/** A zod type checked by a hand-written function that reports problems at precise sub-paths. */
function checked<T>(check: (value: unknown, report: Report) => T | undefined) {
  return z.unknown().transform((value, ctx) => {
    let failed = false;
    const report: Report = (message, path = []) => {
      failed = true;
      ctx.addIssue({ code: 'custom', message, path });
    };
    const result = check(value, report);
    return failed || result === undefined ? z.NEVER : result;
  });
}

/** z.strictObject whose unknown-field message lists the allowed fields. */
function strict<Shape extends z.ZodRawShape>(shape: Shape) {
  const allowed = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? `allowed fields: ${allowed}` : undefined),
  });
}

/** " (did you mean x?)" when the value looks like a typo of one of the values; else "". */
function didYouMean(value: unknown, values: readonly string[]): string {
  const match = typeof value === 'string' ? closestMatch(value, values) : null;
  return match === null ? '' : ` (did you mean ${match}?)`;
}

function oneOf(values: readonly string[]): string {
  return values.join(', ');
}

/** `all`, or a non-empty list of names (of the given values when `values` is set). */
function selection<T extends string>(what: string, values?: readonly T[]) {
  return checked<'all' | T[]>((value, report) => {
    if (value === 'all') return 'all';
    if (!Array.isArray(value)) {
      const hint = typeof value === 'string' ? `; for one, write [${value}]` : '';
      report(`must be all or a list of ${what}, got ${describeValue(value)}${hint}`);
      return undefined;
    }
    if (value.length === 0) report('an empty list matches nothing: remove the field or write all');
    value.forEach((item, i) => {
      if (typeof item !== 'string' || item === '')
        report(`must be a ${what.replace(/s$/, '')}, got ${describeValue(item)}`, [i]);
      else if (item === 'all') report('write all instead of a list containing all', [i]);
      else if (values !== undefined && !(values as readonly string[]).includes(item)) {
        report(`"${item}" is not one of ${oneOf(values)}`, [i]);
      }
    });
    return value as T[];
  });
}

/** A plain list of names (for exclude_* fields: empty is allowed, `all` is not). */
function exclusion<T extends string>(what: string, values?: readonly T[]) {
  return checked<T[]>((value, report) => {
    if (!Array.isArray(value)) {
      report(`must be a list of ${what}, got ${describeValue(value)}`);
      return undefined;
    }
    value.forEach((item, i) => {
      if (typeof item !== 'string' || item === '')
        report(`must be a ${what.replace(/s$/, '')}, got ${describeValue(item)}`, [i]);
      else if (values !== undefined && !(values as readonly string[]).includes(item)) {
        report(`"${item}" is not one of ${oneOf(values)}`, [i]);
      }
    });
    return value as T[];
  });
}

/** Check a non-empty list item by item, reporting at `[index, ...]`; undefined when not a list. */
function listOf<T>(
  value: unknown,
  what: string,
  item: (value: unknown, report: Report) => T | undefined,
  report: Report,
) {
  if (!Array.isArray(value)) {
    report(
      value === undefined ? `is required: a list of ${what}` : `must be a list of ${what}, got ${describeValue(value)}`,
    );
    return undefined;
  }
  if (value.length === 0) report('an empty list matches nothing: remove the field instead');
  return value.map((element, i) => item(element, (message, path = []) => report(message, [i, ...path])));
}

/** A non-empty list whose items each pass `item`. */
function nonEmptyList<T>(what: string, item: (value: unknown, report: Report) => T | undefined) {
  return checked<T[]>((value, report) => listOf(value, what, item, report) as T[] | undefined);
}

function cidrItem(value: unknown, report: Report): Cidr | undefined {
  if (typeof value !== 'string') {
    report(`must be a CIDR such as 10.0.0.0/8, got ${describeValue(value)}`);
    return undefined;
  }
  const result = parseCidr(value);
  if (!result.ok) report(`"${value}" is not a valid CIDR: ${result.reason}`);
  return result.ok ? result.cidr : undefined;
}

/** An ip / not_ip entry: a CIDR, or the name of a named location (resolved in compile). */
export type NetworkReference = { kind: 'cidr'; cidr: Cidr } | { kind: 'location'; name: string };

function networkItem(value: unknown, report: Report): NetworkReference | undefined {
  if (typeof value === 'string' && LOCATION_NAME.test(value)) return { kind: 'location', name: value };
  const cidr = cidrItem(value, report);
  return cidr === undefined ? undefined : { kind: 'cidr', cidr };
}

function countryItem(value: unknown, report: Report): string | undefined {
  if (typeof value !== 'string') {
    report(`must be a country code such as DE, got ${describeValue(value)}`);
    return undefined;
  }
  const problem = countryCodeProblem(value);
  if (problem !== null) report(problem);
  return value;
}

function enumItem<T extends string>(values: readonly T[]) {
  return (value: unknown, report: Report): T | undefined => {
    if (typeof value === 'string' && (values as readonly string[]).includes(value)) return value as T;
    if (value === undefined) report(`is required: one of ${oneOf(values)}`);
    else report(`must be one of ${oneOf(values)}, got ${describeValue(value)}${didYouMean(value, values)}`);
    return undefined;
  };
}

/** A version in a policy file; YAML floats are read as text, so 14.10 stays "14.10". */
function versionValue(value: unknown, report: Report): number[] | undefined {
  const text = typeof value === 'number' && Number.isInteger(value) ? String(value) : value;
  const parsed = typeof text === 'string' ? parsePolicyVersion(text) : null;
  if (parsed === null) report(`must be a version such as "14.2.1", got ${describeValue(value)}`);
  return parsed ?? undefined;
}

export interface PlatformEntry {
  readonly platform: Platform;
  readonly minOsVersion: number[] | null;
}

/** `[windows, macos]`, or `{ macos: { min_os_version: "14.0" }, windows: {} }` (empty = any version). */
const platformRule = checked<PlatformEntry[]>((value, report) => {
  const platform = enumItem(PLATFORMS);
  if (Array.isArray(value)) {
    if (value.length === 0) report('an empty list matches nothing: remove the field instead');
    const entries = value.map((item, i) => platform(item, (message) => report(message, [i])));
    return entries.flatMap((name) => (name === undefined ? [] : [{ platform: name, minOsVersion: null }]));
  }
  if (value === null || typeof value !== 'object') {
    report(`must be a list of platforms or a mapping of platform to { min_os_version }, got ${describeValue(value)}`);
    return undefined;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) report('an empty mapping matches nothing: remove the field instead');
  return entries.flatMap(([key, rule]) => {
    const name = platform(key, (message) => report(`unknown platform: ${message}`, [key]));
    const minOsVersion = platformVersion(rule, (message, path = []) => report(message, [key, ...path]));
    return name === undefined || minOsVersion === undefined ? [] : [{ platform: name, minOsVersion }];
  });
});

function platformVersion(rule: unknown, report: Report): number[] | null | undefined {
  if (rule === null) return null;
  if (typeof rule !== 'object' || Array.isArray(rule)) {
    report(`must be a mapping such as { min_os_version: "14.0" } (or {} for any version), got ${describeValue(rule)}`);
    return undefined;
  }
  const fields = rule as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (key !== 'min_os_version') report(`unknown field "${key}" (allowed fields: min_os_version)`, [key]);
  }
  if (fields.min_os_version === undefined) return null;
  return versionValue(fields.min_os_version, (message) => report(message, ['min_os_version']));
}

/** A requirement name, or `{ all_of: [...] }` / `{ any_of: [...] }` nested. */
function requirementValue(value: unknown, report: Report, depth = 0): RequirementExpression | undefined {
  if (typeof value === 'string') {
    if ((REQUIREMENT_NAMES as readonly string[]).includes(value)) return value as RequirementName;
    const hint = didYouMean(value, REQUIREMENT_NAMES);
    report(`unknown requirement "${value}"${hint} (known: ${oneOf(REQUIREMENT_NAMES)}; combine with all_of / any_of)`);
    return undefined;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const hint = Array.isArray(value) ? '; a list must sit under all_of or any_of' : '';
    report(`must be a requirement name or { all_of: [...] } / { any_of: [...] }, got ${describeValue(value)}${hint}`);
    return undefined;
  }
  const keys = Object.keys(value);
  if (keys.length !== 1 || (keys[0] !== 'all_of' && keys[0] !== 'any_of')) {
    report(`must have exactly one field, all_of or any_of; got ${keys.length === 0 ? 'none' : keys.join(', ')}`);
    return undefined;
  }
  const operator = keys[0];
  if (depth >= MAX_REQUIREMENT_DEPTH) {
    report(`nested more than ${MAX_REQUIREMENT_DEPTH} levels deep`);
    return undefined;
  }
  const items = (value as Record<string, unknown>)[operator];
  if (!Array.isArray(items) || items.length === 0) {
    report(`${operator} must be a non-empty list of requirements`, [operator]);
    return undefined;
  }
  const parts = items.map((item, i) =>
    requirementValue(item, (m, p = []) => report(m, [operator, i, ...p]), depth + 1),
  );
  if (parts.some((part) => part === undefined)) return undefined;
  const list = parts as RequirementExpression[];
  return operator === 'all_of' ? { all_of: list } : { any_of: list };
}

const requirement = checked<RequirementExpression>((value, report) => {
  const expression = requirementValue(value, report);
  if (expression !== undefined && normaliseRequirement(expression) === null) {
    report(`too complex: it expands to more than ${MAX_REQUIREMENT_CLAUSES} any-of groups; simplify the nesting`);
  }
  return expression;
});

const duration = checked<number>((value, report) => {
  const seconds = typeof value === 'string' ? parseDuration(value) : null;
  if (seconds === null)
    report(`must be a duration such as 30m, 8h or 7d (at most a year), got ${describeValue(value)}`);
  return seconds ?? undefined;
});

const outcome = checked((value, report) => enumItem(OUTCOMES)(value, report));

const defaults = checked<(typeof OUTCOMES)[number] | Partial<Record<(typeof CLIENT_TYPES)[number], 'allow' | 'deny'>>>(
  (value, report) => {
    if (typeof value === 'string') return enumItem(OUTCOMES)(value, report);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      const what = 'allow, deny, or a mapping of client type to allow/deny';
      report(value === undefined ? `is required: ${what}` : `must be ${what}, got ${describeValue(value)}`);
      return undefined;
    }
    const result: Partial<Record<(typeof CLIENT_TYPES)[number], 'allow' | 'deny'>> = {};
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      const type = enumItem(CLIENT_TYPES)(key, (message) => report(`unknown client type: ${message}`, [key]));
      const chosen = enumItem(OUTCOMES)(item, (message) => report(message, [key]));
      if (type !== undefined && chosen !== undefined) result[type] = chosen;
    }
    return result;
  },
);

const namedLocations = checked<Record<string, Cidr[]>>((value, report) => {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    report(`must be a mapping of location name to a list of CIDRs, got ${describeValue(value)}`);
    return undefined;
  }
  const result: Record<string, Cidr[]> = {};
  for (const [name, cidrs] of Object.entries(value as Record<string, unknown>)) {
    if (!LOCATION_NAME.test(name)) {
      report(`location name "${name}" must start with a letter and use only letters, digits, _ and -`, [name]);
    }
    const list = listOf(cidrs, 'CIDRs', cidrItem, (message, path = []) => report(message, [name, ...path]));
    if (list !== undefined) result[name] = list.filter((cidr): cidr is Cidr => cidr !== undefined);
  }
  return result;
});

const targets = strict({
  clients: selection('client ids').optional(),
  exclude_clients: exclusion('client ids').optional(),
  client_types: selection('client types', CLIENT_TYPES).optional(),
  exclude_client_types: exclusion('client types', CLIENT_TYPES).optional(),
  users: selection('usernames').optional(),
  exclude_users: exclusion('usernames').optional(),
  groups: selection('group names').optional(),
  exclude_groups: exclusion('group names').optional(),
});

const conditions = strict({
  device: nonEmptyList('device trust levels', enumItem(DEVICE_TRUST_LEVELS)).optional(),
  platforms: platformRule.optional(),
  not_platforms: platformRule.optional(),
  ip: nonEmptyList('CIDRs or named locations', networkItem).optional(),
  not_ip: nonEmptyList('CIDRs or named locations', networkItem).optional(),
  countries: nonEmptyList('country codes', countryItem).optional(),
  not_countries: nonEmptyList('country codes', countryItem).optional(),
});

const policyName = z
  .string({ error: 'must be a name (text)' })
  .min(1, { error: 'must not be empty' })
  .max(100, { error: 'must be at most 100 characters' })
  .regex(/^[^\p{Cc}]+$/u, { error: 'must not contain control characters' });

const policy = strict({
  name: policyName,
  description: z.string({ error: 'must be text' }).optional(),
  state: z.enum(POLICY_STATES),
  targets: targets.optional(),
  conditions: conditions.optional(),
  outcome,
  require: requirement.optional(),
  sign_in_frequency: duration.optional(),
  sign_in_with: nonEmptyList('sign-in methods', enumItem(FIRST_FACTOR_METHODS)).optional(),
});

/** The whole policy file. */
export const policyDocumentSchema = strict({
  default: defaults,
  named_locations: namedLocations.optional(),
  policies: z.array(policy, { error: 'must be a list of policies' }),
});

export type PolicyDocument = z.output<typeof policyDocumentSchema>;
export type PolicyEntry = PolicyDocument['policies'][number];
