// evaluatePolicies: every policy's verdict on one sign-in, combined into a Decision. Enabled policies that
// match all apply: deny wins, allow requirements add up; report-only verdicts are recorded, never enforced;
// when no enabled policy matches, the default for the client type applies. Pure: `now` is a parameter.
import { checkConditions } from './match-conditions.js';
import { checkClientTarget, checkUserTarget } from './match-targets.js';
import {
  combineRequirements,
  formatRequirement,
  freshMethods,
  resolveRequirement,
  unmetClauses,
} from './requirements.js';
import { SignIn } from './sign-in.js';
import type {
  ConditionName,
  Decision,
  DecisionBasis,
  DecisionOutcome,
  EpochSeconds,
  Facts,
  MethodName,
  Policy,
  PolicySet,
  PolicyVerdict,
  ReportOnlySummary,
  Requirement,
  VerdictKind,
} from './types.js';

type MaxAges = Partial<Record<MethodName, number>>;

const NO_CONDITIONS: readonly ConditionName[] = [];
const NOTHING: Requirement = [];
const NO_REPORT_ONLY: ReportOnlySummary = { wouldDeny: [], wouldRequire: [], wouldBeUnmet: [] };

/** Verdicts sorted by the part they play in the decision; the allow lists keep their policies alongside. */
interface Buckets {
  readonly denies: PolicyVerdict[];
  readonly allows: PolicyVerdict[];
  readonly allowPolicies: Policy[];
  readonly pending: PolicyVerdict[];
  readonly reportOnly: PolicyVerdict[];
  readonly reportOnlyAllowPolicies: Policy[];
}

/** Decide a sign-in: the outcome, what it still requires, and every policy's verdict with reasons. */
export function evaluatePolicies(policySet: PolicySet, facts: Facts, now: EpochSeconds): Decision {
  const signIn = new SignIn(facts);
  const verdicts = policySet.policies.map((policy) => evaluatePolicy(policy, signIn));
  const buckets = bucket(policySet.policies, verdicts);
  const { denies, allows, pending, reportOnly } = buckets;
  const maxAgeSeconds = maxAges(buckets.allowPolicies, {});
  const denied = denies.length > 0;
  const requirement = denied ? NOTHING : resolve(combineRequirements(allows.map(requirementOf)), facts);
  const { outcome, basis, reason } = denied
    ? { outcome: 'deny' as const, basis: 'policy' as const, reason: `denied by policy ${names(denies)}` }
    : outcomeWithoutDeny(policySet, facts, allows, pending, requirement);
  const policyByName = new Map(policySet.policies.map((policy) => [policy.name, policy]));
  return {
    outcome,
    basis,
    reason,
    denialMessage: outcome === 'deny' ? denialMessage(denies.map((v) => policyByName.get(v.policy))) : null,
    signInWith: denied ? [] : [...new Set(buckets.allowPolicies.flatMap((policy) => policy.signInWith ?? []))],
    requirement,
    unmet: unmet(requirement, facts, maxAgeSeconds, now),
    maxAgeSeconds,
    appliedPolicies: denies.concat(allows).map(policyOf),
    deniedBy: denies.map(policyOf),
    pendingPolicies: pending.map(policyOf),
    deniedForUnmanagedDevice: denied && signIn.trust === 'unmanaged' && denies.every(restsOnDevice),
    deviceDependent:
      facts.device === undefined &&
      !facts.deviceChecked &&
      policySet.hasDeviceConditions &&
      policySet.policies.some((policy) => judgesThisDevice(policy, signIn)),
    verdicts,
    reportOnly: reportOnly.length === 0 ? NO_REPORT_ONLY : summariseReportOnly(buckets, maxAgeSeconds, facts, now),
    evaluatedAt: now,
    clientType: facts.client.type,
  };
}

/** One policy's verdict; disabled policies are skipped without evaluation. */
export function evaluatePolicy(policy: Policy, signIn: SignIn): PolicyVerdict {
  if (policy.state === 'disabled') return verdictOf(policy, 'skipped', ['the policy is disabled'], NO_CONDITIONS);
  const client = checkClientTarget(policy.targets, signIn.facts.client);
  if (client.status !== 'match') return verdictOf(policy, 'not_matched', [client.reason], NO_CONDITIONS);
  const user = checkUserTarget(policy.targets, signIn.facts.user);
  if (user.status === 'no_match') return verdictOf(policy, 'not_matched', [client.reason, user.reason], NO_CONDITIONS);
  const conditions = checkConditions(policy.conditions, signIn);
  const reasons = [client.reason, user.reason, ...conditions.reasons];
  if (!conditions.match) return verdictOf(policy, 'not_matched', reasons, NO_CONDITIONS);
  if (user.status === 'pending') return verdictOf(policy, 'pending_user', reasons, conditions.matched);
  if (policy.outcome === 'allow' && policy.requirement.length > 0) {
    reasons.push(`requires ${policy.requirementText}`);
  }
  return verdictOf(policy, policy.outcome, reasons, conditions.matched);
}

/** An enabled device-judging policy whose targets match this sign-in (or wait for its user). */
function judgesThisDevice(policy: Policy, signIn: SignIn): boolean {
  if (policy.state !== 'enabled' || !policy.usesDevice) return false;
  if (checkClientTarget(policy.targets, signIn.facts.client).status !== 'match') return false;
  return checkUserTarget(policy.targets, signIn.facts.user).status !== 'no_match';
}

/** What a denied person reads: the denying policies' descriptions, or a plain sentence when none has one. */
function denialMessage(policies: ReadonlyArray<Policy | undefined>): string {
  const described = [...new Set(policies.map((policy) => policy?.description?.trim()).filter(Boolean))];
  return described.length ? described.join(' ') : 'Your organisation does not allow this sign-in.';
}

function verdictOf(
  policy: Policy,
  verdict: VerdictKind,
  reasons: string[],
  matchedConditions: readonly ConditionName[],
): PolicyVerdict {
  return {
    policy: policy.name,
    state: policy.state,
    verdict,
    enforced: policy.state === 'enabled' && (verdict === 'allow' || verdict === 'deny'),
    requirement: verdict === 'allow' ? policy.requirement : NOTHING,
    signInFrequencySeconds: policy.signInFrequencySeconds,
    matchedConditions,
    reasons,
  };
}

function bucket(policies: readonly Policy[], verdicts: readonly PolicyVerdict[]): Buckets {
  const buckets: Buckets = {
    denies: [],
    allows: [],
    allowPolicies: [],
    pending: [],
    reportOnly: [],
    reportOnlyAllowPolicies: [],
  };
  verdicts.forEach((verdict, i) => {
    const policy = policies[i];
    if (policy === undefined) return;
    if (verdict.state === 'report-only') {
      buckets.reportOnly.push(verdict);
      if (verdict.verdict === 'allow') buckets.reportOnlyAllowPolicies.push(policy);
    } else if (verdict.state !== 'enabled') return;
    else if (verdict.verdict === 'deny') buckets.denies.push(verdict);
    else if (verdict.verdict === 'allow') {
      buckets.allows.push(verdict);
      buckets.allowPolicies.push(policy);
    } else if (verdict.verdict === 'pending_user') buckets.pending.push(verdict);
  });
  return buckets;
}

function outcomeWithoutDeny(
  policySet: PolicySet,
  facts: Facts,
  allows: readonly PolicyVerdict[],
  pending: readonly PolicyVerdict[],
  requirement: Requirement,
): { outcome: DecisionOutcome; basis: DecisionBasis; reason: string } {
  if (pending.length > 0) {
    const reason = `the user must be identified first: policy ${names(pending)} targets users or groups`;
    return { outcome: 'pending_user', basis: allows.length > 0 ? 'policy' : 'default', reason };
  }
  if (allows.length > 0) {
    const requires = requirement.length === 0 ? '' : `, requiring ${formatRequirement(requirement)}`;
    return { outcome: 'allow', basis: 'policy', reason: `allowed by policy ${names(allows)}${requires}` };
  }
  const type = facts.client.type;
  const outcome = policySet.defaults[type];
  const implicit = policySet.implicitDefaults.includes(type) ? ' (not set in the policy file, so deny)' : '';
  return {
    outcome,
    basis: 'default',
    reason: `no enabled policy matched; the default for ${type} clients is ${outcome}${implicit}`,
  };
}

function policyOf(verdict: PolicyVerdict): string {
  return verdict.policy;
}

function requirementOf(verdict: PolicyVerdict): Requirement {
  return verdict.requirement;
}

function restsOnDevice(verdict: PolicyVerdict): boolean {
  return verdict.matchedConditions.includes('device');
}

function names(verdicts: readonly PolicyVerdict[]): string {
  return verdicts.map(policyOf).join(', ');
}

function resolve(requirement: Requirement, facts: Facts): Requirement {
  return facts.enrolledMethods === undefined ? requirement : resolveRequirement(requirement, facts.enrolledMethods);
}

function unmet(requirement: Requirement, facts: Facts, maxAgeSeconds: MaxAges, now: EpochSeconds): Requirement {
  if (requirement.length === 0) return NOTHING;
  return unmetClauses(requirement, freshMethods(facts.methods, maxAgeSeconds, now), facts.enrolledMethods);
}

/** The shortest sign_in_frequency per method over the given allow policies (merged into `start`). */
function maxAges(policies: readonly Policy[], start: MaxAges): MaxAges {
  const result: MaxAges = { ...start };
  for (const policy of policies) {
    const seconds = policy.signInFrequencySeconds;
    if (seconds === null) continue;
    for (const method of policy.frequencyMethods) {
      const current = result[method];
      result[method] = current === undefined ? seconds : Math.min(current, seconds);
    }
  }
  return result;
}

function summariseReportOnly(
  buckets: Buckets,
  enforcedMaxAges: MaxAges,
  facts: Facts,
  now: EpochSeconds,
): ReportOnlySummary {
  const allows = buckets.reportOnlyAllowPolicies;
  const wouldRequire = resolve(combineRequirements(allows.map((policy) => policy.requirement)), facts);
  return {
    wouldDeny: buckets.reportOnly.filter((verdict) => verdict.verdict === 'deny').map(policyOf),
    wouldRequire,
    wouldBeUnmet: unmet(wouldRequire, facts, maxAges(allows, enforcedMaxAges), now),
  };
}
