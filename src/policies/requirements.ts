// Requirements in conjunctive normal form: a list of any-of clauses that must all be met. Policy
// expressions are normalised once at load; the requirements of several policies combine by concatenation.
// Also: what `mfa` and `highest_mfa` mean, and which methods still count under sign_in_frequency.
import {
  AUTH_METHODS,
  REQUIREMENT_NAMES,
  type EpochSeconds,
  type MethodName,
  type Requirement,
  type RequirementClause,
  type RequirementExpression,
  type RequirementName,
} from './types.js';

/** A policy whose requirement normalises to more clauses than this is rejected as too complex. */
export const MAX_REQUIREMENT_CLAUSES = 64;

const ORDER: ReadonlyMap<RequirementName, number> = new Map(REQUIREMENT_NAMES.map((name, i) => [name, i]));

/**
 * Normalise a requirement expression into conjunctive normal form (sorted, deduplicated, absorbed); null
 * when it expands to more than MAX_REQUIREMENT_CLAUSES clauses (the parser rejects such policies).
 */
export function normaliseRequirement(expression: RequirementExpression): Requirement | null {
  const clauses = toClauses(expression);
  return clauses === null ? null : simplify(clauses);
}

/** All of several requirements at once (the union of their clauses, simplified). */
export function combineRequirements(requirements: readonly Requirement[]): Requirement {
  if (requirements.length === 1) return requirements[0] ?? [];
  return simplify(requirements.flat());
}

/**
 * The strongest MFA the user has enrolled, in the order passkey > TOTP (with password); a user with
 * neither gets plain `mfa`, which the orchestration denies when it cannot be met.
 */
export function resolveHighestMfa(enrolledMethods: readonly MethodName[] | undefined): Requirement {
  if (enrolledMethods?.includes('passkey') || enrolledMethods?.includes('device_bound_passkey')) return [['passkey']];
  if (enrolledMethods?.includes('totp')) return [['password'], ['totp']];
  return [['mfa']];
}

/** Replace `highest_mfa` with what it resolves to for these enrolled methods. */
export function resolveRequirement(
  requirement: Requirement,
  enrolledMethods: readonly MethodName[] | undefined,
): Requirement {
  if (!requirement.some((clause) => clause.includes('highest_mfa'))) return requirement;
  const resolved = resolveHighestMfa(enrolledMethods);
  const clauses = requirement.flatMap((clause) => {
    if (!clause.includes('highest_mfa')) return [clause];
    const rest = clause.filter((name) => name !== 'highest_mfa');
    return resolved.map((part) => [...part, ...rest]);
  });
  return simplify(clauses);
}

/** The methods a requirement can be met with (`mfa` and `highest_mfa` can use any method). */
export function methodsOfRequirement(requirement: Requirement): MethodName[] {
  const names = new Set<RequirementName>(requirement.flat());
  // A device-bound passkey is a passkey: sign-in frequency on `passkey` limits it too.
  if (names.has('passkey')) names.add('device_bound_passkey');
  if (names.has('mfa') || names.has('highest_mfa') || requirement.length === 0) return [...AUTH_METHODS];
  return AUTH_METHODS.filter((method) => names.has(method));
}

/** Methods satisfied no longer ago than their max age at `now` (exactly at the limit still counts). */
export function freshMethods(
  satisfied: Readonly<Partial<Record<MethodName, EpochSeconds>>>,
  maxAgeSeconds: Readonly<Partial<Record<MethodName, number>>>,
  now: EpochSeconds,
): Set<MethodName> {
  const fresh = new Set<MethodName>();
  for (const method of AUTH_METHODS) {
    const at = satisfied[method];
    if (at === undefined) continue;
    const maxAge = maxAgeSeconds[method];
    if (maxAge === undefined || now - at <= maxAge) fresh.add(method);
  }
  return fresh;
}

/**
 * Multi-factor in the RFC 8176 sense: two distinct factor kinds. A user-verified passkey (device-bound or
 * not) is multi-factor by itself; otherwise a password (knowledge) plus TOTP or a device certificate
 * (possession).
 */
export function isMfaMet(fresh: ReadonlySet<MethodName>): boolean {
  return isPasskeyMet(fresh) || (fresh.has('password') && (fresh.has('totp') || fresh.has('device_certificate')));
}

/** Any user-verified passkey: a device-bound one is a passkey too. */
function isPasskeyMet(fresh: ReadonlySet<MethodName>): boolean {
  return fresh.has('passkey') || fresh.has('device_bound_passkey');
}

/** True when one requirement name is met by the fresh methods (`highest_mfa` must be resolved first). */
export function isRequirementNameMet(name: RequirementName, fresh: ReadonlySet<MethodName>): boolean {
  if (name === 'mfa' || name === 'highest_mfa') return isMfaMet(fresh);
  if (name === 'passkey') return isPasskeyMet(fresh);
  return fresh.has(name);
}

/** The clauses of a requirement not met by the fresh methods (highest_mfa resolved first). */
export function unmetClauses(
  requirement: Requirement,
  fresh: ReadonlySet<MethodName>,
  enrolledMethods: readonly MethodName[] | undefined,
): Requirement {
  const resolved = resolveRequirement(requirement, enrolledMethods);
  return resolved.filter((clause) => !clause.some((name) => isRequirementNameMet(name, fresh)));
}

/** What a decision still needs, given the methods satisfied in the session and when. */
export function unmetRequirements(
  decision: {
    readonly requirement: Requirement;
    readonly maxAgeSeconds: Readonly<Partial<Record<MethodName, number>>>;
  },
  satisfiedMethods: Readonly<Partial<Record<MethodName, EpochSeconds>>>,
  now: EpochSeconds,
  enrolledMethods?: readonly MethodName[],
): Requirement {
  return unmetClauses(
    decision.requirement,
    freshMethods(satisfiedMethods, decision.maxAgeSeconds, now),
    enrolledMethods,
  );
}

/** Readable form: `mfa AND (passkey OR device_certificate)`; "nothing" for an empty requirement. */
export function formatRequirement(requirement: Requirement): string {
  if (requirement.length === 0) return 'nothing';
  const clauses = requirement.map((clause) => (clause.length === 1 ? (clause[0] ?? '') : `(${clause.join(' OR ')})`));
  return clauses.join(' AND ');
}

/** Distribute any_of over all_of, simplifying as it goes; null once past the clause limit. */
function toClauses(expression: RequirementExpression): Requirement | null {
  if (typeof expression === 'string') return [[expression]];
  const parts: Requirement[] = [];
  for (const part of 'all_of' in expression ? expression.all_of : expression.any_of) {
    const clauses = toClauses(part);
    if (clauses === null) return null;
    parts.push(clauses);
  }
  let result: Requirement;
  if ('all_of' in expression) result = simplify(parts.flat());
  else {
    result = [[]];
    for (const next of parts) {
      result = simplify(result.flatMap((left) => next.map((right) => [...left, ...right])));
      if (result.length > MAX_REQUIREMENT_CLAUSES) return null;
    }
  }
  return result.length > MAX_REQUIREMENT_CLAUSES ? null : result;
}

function sortClause(clause: readonly RequirementName[]): RequirementName[] {
  return [...new Set(clause)].sort((a, b) => (ORDER.get(a) ?? 0) - (ORDER.get(b) ?? 0));
}

function isSubset(small: RequirementClause, big: RequirementClause): boolean {
  return small.every((name) => big.includes(name));
}

/** Sort each clause, drop duplicates and clauses implied by a smaller one, and order clauses stably. */
function simplify(clauses: readonly RequirementClause[]): Requirement {
  const sorted = clauses.map(sortClause).sort((a, b) => a.length - b.length || compareText(a.join(), b.join()));
  const kept: RequirementName[][] = [];
  for (const clause of sorted) if (!kept.some((smaller) => isSubset(smaller, clause))) kept.push(clause);
  return kept;
}

function compareText(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}
