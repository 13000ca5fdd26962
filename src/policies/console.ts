// The admin console is protected by the product's own promise: whatever the policy file says, the built-in
// console client admits only members of the admin group, and only with a device proof (a device
// certificate or a device-bound passkey). Policies may restrict it further; none can loosen or remove this.
import { combineRequirements, formatRequirement, freshMethods, unmetClauses } from './requirements.js';
import { DEVICE_PROVING_METHODS, type Decision, type Facts, type PolicyVerdict, type Requirement } from './types.js';

/** Client id of the built-in admin console (/admin). */
export const CONSOLE_CLIENT_ID = 'latchkey-console';

/** The name the console rule's verdict carries in what-if tables and the audit log. */
export const CONSOLE_RULE_NAME = 'built-in: admin console';

/** What the built-in rules need besides the facts: the group whose members may use the console. */
export interface BuiltInRuleInputs {
  /** config `admin.group`; null or absent: nobody may sign in to the console. */
  readonly adminGroup?: string | null;
}

const DEVICE_PROOF: Requirement = [DEVICE_PROVING_METHODS];

/**
 * For the console client: deny unless the user is in `adminGroup`, and require a device proof on top of
 * what the policies require. Other clients' decisions are returned unchanged; a policy's deny stands.
 */
export function applyConsoleRule(decision: Decision, facts: Facts, inputs: BuiltInRuleInputs): Decision {
  if (facts.client.id !== CONSOLE_CLIENT_ID) return decision;
  const group = inputs.adminGroup ?? null;
  const noDeviceYet = !facts.device && !facts.deviceChecked;
  if (decision.outcome === 'deny') {
    return withVerdict(decision, verdict('not_matched', [], ['the policies deny this sign-in already']));
  }
  if (!facts.user) {
    // Membership is known once the user is: identify them (after the device check) and evaluate again.
    const requirement = combineRequirements([decision.requirement, DEVICE_PROOF]);
    return withVerdict(
      {
        ...decision,
        outcome: 'pending_user',
        basis: 'console_rule',
        reason: `the admin console waits for the user to be known (members of ${group ?? 'no group'} only); ${decision.reason}`,
        requirement,
        unmet: unmet(decision, facts, requirement),
        pendingPolicies: [...decision.pendingPolicies, CONSOLE_RULE_NAME],
        deviceDependent: decision.deviceDependent || noDeviceYet,
      },
      verdict('pending_user', DEVICE_PROOF, [
        `waits for the user: members of group ${group ?? '(none configured)'} only`,
      ]),
    );
  }
  if (group === null || !facts.user.groups.includes(group)) {
    const why = group === null ? 'no admin group is configured' : `${facts.user.username} is not in group ${group}`;
    return withVerdict(
      {
        ...decision,
        outcome: 'deny',
        basis: 'console_rule',
        reason: `the admin console rule denies this sign-in: ${why}`,
        denialMessage: 'The admin console is only for Latchkey administrators.',
        requirement: [],
        unmet: [],
        deniedBy: [...decision.deniedBy, CONSOLE_RULE_NAME],
        deniedForUnmanagedDevice: false,
        // Proving a device cannot make a non-administrator one.
        deviceDependent: false,
      },
      verdict('deny', [], [why]),
    );
  }
  const requirement = combineRequirements([decision.requirement, DEVICE_PROOF]);
  return withVerdict(
    {
      ...decision,
      basis: 'console_rule',
      reason: `${facts.user.username} is in group ${group}; the admin console requires ${formatRequirement(DEVICE_PROOF)}; ${decision.reason}`,
      requirement,
      unmet: unmet(decision, facts, requirement),
      appliedPolicies: [...decision.appliedPolicies, CONSOLE_RULE_NAME],
      deviceDependent: decision.deviceDependent || noDeviceYet,
    },
    verdict('allow', DEVICE_PROOF, [`${facts.user.username} is in group ${group}`, 'a device proof is required']),
  );
}

function unmet(decision: Decision, facts: Facts, requirement: Requirement): Requirement {
  const fresh = freshMethods(facts.methods, decision.maxAgeSeconds, decision.evaluatedAt);
  return unmetClauses(requirement, fresh, facts.enrolledMethods);
}

function verdict(kind: PolicyVerdict['verdict'], requirement: Requirement, reasons: string[]): PolicyVerdict {
  return {
    policy: CONSOLE_RULE_NAME,
    state: 'enabled',
    verdict: kind,
    enforced: kind === 'allow' || kind === 'deny',
    requirement,
    signInFrequencySeconds: null,
    matchedConditions: [],
    reasons,
  };
}

/** The decision with the console rule's verdict listed after the policies' own. */
function withVerdict(decision: Decision, ruleVerdict: PolicyVerdict): Decision {
  return { ...decision, verdicts: [...decision.verdicts, ruleVerdict] };
}
