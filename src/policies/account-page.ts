// The account page is never simply blocked for want of a managed device: that is where users set one up.
// Where enabled policies deny the built-in account client only because no device is proven, the sign-in is
// allowed with the highest MFA the user has instead (JumpCloud's User Portal rule).
import { applyConsoleRule, type BuiltInRuleInputs } from './console.js';
import { evaluatePolicies } from './evaluate.js';
import {
  combineRequirements,
  formatRequirement,
  freshMethods,
  resolveRequirement,
  unmetClauses,
} from './requirements.js';
import {
  DEVICE_PROVING_METHODS,
  type Decision,
  type EpochSeconds,
  type Facts,
  type PolicySet,
  type Requirement,
} from './types.js';

/** Client id of the built-in account page (/account). */
export const ACCOUNT_CLIENT_ID = 'latchkey-account';

/**
 * For the account client, turn a deny that rests only on device conditions (no device proven) into allow
 * with `highest_mfa`; every other decision is returned unchanged.
 */
export function applyAccountPageRule(decision: Decision, facts: Facts): Decision {
  if (facts.client.id !== ACCOUNT_CLIENT_ID || decision.outcome !== 'deny' || !decision.deniedForUnmanagedDevice) {
    return decision;
  }
  const allowRequirements = decision.verdicts
    .filter((verdict) => verdict.enforced && verdict.verdict === 'allow')
    .map((verdict) => withoutDeviceOnlyClauses(verdict.requirement));
  const combined = combineRequirements([...allowRequirements, [['highest_mfa']]]);
  const requirement =
    facts.enrolledMethods === undefined ? combined : resolveRequirement(combined, facts.enrolledMethods);
  const fresh = freshMethods(facts.methods, decision.maxAgeSeconds, decision.evaluatedAt);
  const pending = decision.pendingPolicies.length > 0;
  return {
    ...decision,
    outcome: pending ? 'pending_user' : 'allow',
    basis: 'account_page_rule',
    denialMessage: null,
    reason:
      `policy ${decision.deniedBy.join(', ')} would deny this unmanaged device; the account page is allowed with the ` +
      `highest MFA the user has (${formatRequirement(requirement)}) so that a trusted device can be set up`,
    requirement,
    unmet: unmetClauses(requirement, fresh, facts.enrolledMethods),
  };
}

/**
 * evaluatePolicies followed by the built-in rules (the account page's, the admin console's): what
 * enforcement and what-if both use. `builtIn` carries what those rules need (the admin group).
 */
export function decide(
  policySet: PolicySet,
  facts: Facts,
  now: EpochSeconds,
  builtIn: BuiltInRuleInputs = {},
): Decision {
  return applyConsoleRule(applyAccountPageRule(evaluatePolicies(policySet, facts, now), facts), facts, builtIn);
}

/** Drop clauses only a device proof could meet: an unmanaged device has no certificate and no device-bound passkey. */
function withoutDeviceOnlyClauses(requirement: Requirement): Requirement {
  return requirement.filter(
    (clause) => !clause.every((name) => (DEVICE_PROVING_METHODS as readonly string[]).includes(name)),
  );
}
