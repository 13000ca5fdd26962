// Turns a validated policy document into the PolicySet evaluate() runs on: sets instead of lists, CIDRs and
// named locations resolved to byte blocks, requirements normalised, so evaluation does no parsing at all.
import { formatRequirement, methodsOfRequirement, normaliseRequirement } from './requirements.js';
import type { NetworkReference, PlatformEntry, PolicyDocument, PolicyEntry } from './schema.js';
import {
  CLIENT_TYPES,
  type Cidr,
  type ClientType,
  type CompiledConditions,
  type CompiledTargets,
  type NetworkEntry,
  type Outcome,
  type Policy,
  type PolicySet,
  type PlatformRule,
  type Selection,
} from './types.js';

/** Compile a validated document (cross-checks passed) into a PolicySet. */
export function compilePolicyDocument(document: PolicyDocument, source: string): PolicySet {
  const namedLocations = new Map(Object.entries(document.named_locations ?? {}));
  const { defaults, implicitDefaults } = compileDefaults(document.default);
  const policies = document.policies.map((entry) => compilePolicy(entry, namedLocations));
  return {
    source,
    defaults,
    implicitDefaults,
    namedLocations,
    policies,
    hasDeviceConditions: policies.some(usesDevice),
  };
}

/** An enabled policy whose verdict can change once a device is proven. */
function usesDevice(policy: Policy): boolean {
  return policy.state === 'enabled' && policy.usesDevice;
}

/**
 * A device condition judges the proven device; a minimum OS version needs the device's posture report,
 * because browsers freeze the version in their user agent. A platform alone is read from the user agent.
 */
function judgesDevice(conditions: CompiledConditions): boolean {
  const versioned = (rule: PlatformRule | null) => rule !== null && [...rule.values()].some((min) => min !== null);
  return conditions.device !== null || versioned(conditions.platforms) || versioned(conditions.notPlatforms);
}

function compileDefaults(value: PolicyDocument['default']): Pick<PolicySet, 'defaults' | 'implicitDefaults'> {
  if (typeof value === 'string') {
    return { defaults: { first_party: value, third_party: value, factor: value }, implicitDefaults: [] };
  }
  const implicitDefaults = CLIENT_TYPES.filter((type) => value[type] === undefined);
  const pick = (type: ClientType): Outcome => value[type] ?? 'deny';
  return {
    defaults: { first_party: pick('first_party'), third_party: pick('third_party'), factor: pick('factor') },
    implicitDefaults,
  };
}

function compilePolicy(entry: PolicyEntry, namedLocations: ReadonlyMap<string, readonly Cidr[]>): Policy {
  const requirement = entry.require === undefined ? [] : (normaliseRequirement(entry.require) ?? []);
  const conditions = compileConditions(entry.conditions ?? {}, namedLocations);
  return {
    name: entry.name,
    description: entry.description ?? null,
    state: entry.state,
    targets: compileTargets(entry.targets ?? {}),
    conditions,
    outcome: entry.outcome,
    require: entry.require ?? null,
    requirement,
    requirementText: formatRequirement(requirement),
    frequencyMethods: methodsOfRequirement(requirement),
    signInFrequencySeconds: entry.sign_in_frequency ?? null,
    signInWith: entry.sign_in_with ?? null,
    usesDevice: judgesDevice(conditions),
  };
}

function toSelection<T extends string>(value: 'all' | T[] | undefined): Selection<T> | null {
  if (value === undefined) return null;
  return value === 'all' ? 'all' : new Set(value);
}

function compileTargets(targets: NonNullable<PolicyEntry['targets']>): CompiledTargets {
  const users = toSelection(targets.users);
  const groups = toSelection(targets.groups);
  const excludeUsers = new Set(targets.exclude_users ?? []);
  const excludeGroups = new Set(targets.exclude_groups ?? []);
  const everyone = (users === null && groups === null) || users === 'all' || groups === 'all';
  return {
    clients: toSelection(targets.clients) ?? 'all',
    excludeClients: new Set(targets.exclude_clients ?? []),
    clientTypes: toSelection(targets.client_types) ?? 'all',
    excludeClientTypes: new Set(targets.exclude_client_types ?? []),
    users,
    groups,
    excludeUsers,
    excludeGroups,
    needsUser: !everyone || excludeUsers.size > 0 || excludeGroups.size > 0,
  };
}

function compileConditions(
  conditions: NonNullable<PolicyEntry['conditions']>,
  namedLocations: ReadonlyMap<string, readonly Cidr[]>,
): CompiledConditions {
  const network = (references: NetworkReference[] | undefined): NetworkEntry[] | null =>
    references === undefined ? null : references.map((reference) => resolveNetwork(reference, namedLocations));
  return {
    device: conditions.device === undefined ? null : new Set(conditions.device),
    platforms: platformRule(conditions.platforms),
    notPlatforms: platformRule(conditions.not_platforms),
    ip: network(conditions.ip),
    notIp: network(conditions.not_ip),
    countries: conditions.countries === undefined ? null : new Set(conditions.countries),
    notCountries: conditions.not_countries === undefined ? null : new Set(conditions.not_countries),
  };
}

function platformRule(entries: PlatformEntry[] | undefined): PlatformRule | null {
  return entries === undefined ? null : new Map(entries.map((entry) => [entry.platform, entry.minOsVersion]));
}

function resolveNetwork(
  reference: NetworkReference,
  namedLocations: ReadonlyMap<string, readonly Cidr[]>,
): NetworkEntry {
  if (reference.kind === 'cidr') return { label: reference.cidr.text, cidrs: [reference.cidr] };
  return { label: `named location ${reference.name}`, cidrs: namedLocations.get(reference.name) ?? [] };
}
