// The sign-in orchestration as a pure decision: given the policy decision, who has been identified,
// which methods they can use and which already succeeded (and when), say what comes next — a method to
// ask for, finish, or fail with an OAuth error. Every path ends: a requirement that cannot be met is a
// failure, never a repeated prompt.
import {
  freshMethods,
  unmetClauses,
  type Decision,
  type MethodName,
  type Requirement,
  type RequirementClause,
  type RequirementName,
} from '../policies/index.js';
import { ACR_MFA, acrFor, acrSatisfies, amrFor, type AcrValue } from '../oidc/acr.js';

/** What the orchestration needs to know about an identified user. */
export interface UserCapabilities {
  id: string;
  /** Methods the user has set up (password, totp, ...). */
  enrolled: readonly MethodName[];
}

/** A registered method as the pure flow sees it. */
export interface MethodDescriptor {
  name: MethodName;
  /** True when the method tells who the user is (it can start a sign-in). */
  identifies: boolean;
  /** True when this user (or, before identification, anyone) can use it. */
  available(user: UserCapabilities | undefined): boolean;
}

export interface FlowInput {
  decision: Decision;
  user?: UserCapabilities;
  /** Method → epoch seconds it succeeded (this interaction, or carried from the session). */
  methods: Partial<Record<MethodName, number>>;
  /** The class the relying party asked for with acr_values, if any. */
  requiredAcr?: AcrValue;
  registry: readonly MethodDescriptor[];
  now: number;
}

export type FlowError = 'access_denied' | 'unmet_authentication_requirements';

export type FlowStep =
  | { kind: 'method'; method: MethodName }
  | { kind: 'finish'; accountId: string; acr: string; amr: string[]; methods: MethodName[] }
  | { kind: 'fail'; error: FlowError; description: string };

const REQUIREMENT_TEXT: Record<RequirementName, string> = {
  password: 'your password',
  totp: 'a code from your authenticator app',
  mfa: 'multi-factor authentication',
  highest_mfa: 'your strongest second factor',
  device_certificate: 'a trusted device (device certificate)',
  passkey: 'a passkey on this device',
};

const HINTS: Partial<Record<string, string>> = {
  totp: 'Ask your administrator to set up an authenticator app for your account.',
  mfa: 'Ask your administrator to set up a second factor (an authenticator app) for your account.',
  highest_mfa: 'Ask your administrator to set up a second factor for your account.',
  device_certificate: 'Use a device enrolled with Latchkey (latchkey-agent enroll), then try again.',
  passkey: 'Register a passkey on this device from your account page, then try again.',
};

/** Decides the next step of a sign-in. */
export function nextStep(input: FlowInput): FlowStep {
  const { decision, user, registry } = input;
  if (decision.outcome === 'deny') return { kind: 'fail', error: 'access_denied', description: decision.reason };
  if (!user) {
    const identify = registry.find((m) => m.identifies && m.available(undefined));
    return identify
      ? { kind: 'method', method: identify.name }
      : fail('access_denied', 'No sign-in method is available.');
  }
  const fresh = freshMethods(input.methods, decision.maxAgeSeconds, input.now);
  const acrClauses: Requirement = input.requiredAcr === ACR_MFA ? [['mfa']] : [];
  const pending: Array<[RequirementClause, FlowError]> = [
    ...unmetClauses(baselineRequirement(user, registry), fresh, user.enrolled).map(denied),
    ...decision.unmet.map(denied),
    ...unmetClauses(acrClauses, fresh, user.enrolled).map((clause): [RequirementClause, FlowError] => [
      clause,
      'unmet_authentication_requirements',
    ]),
  ];

  for (const [clause, error] of pending) {
    const method = registry.find(
      (m) =>
        !fresh.has(m.name) &&
        m.available(user) &&
        unmetClauses([clause], new Set([...fresh, m.name]), user.enrolled).length === 0,
    );
    if (method) return { kind: 'method', method: method.name };
    const what = clause.map((name) => REQUIREMENT_TEXT[name]).join(' or ');
    return fail(
      error,
      `This sign-in requires ${what}, which your account cannot provide here. ${HINTS[clause[0] ?? ''] ?? ''}`.trim(),
    );
  }
  const used = [...fresh];
  const acr = acrFor(used);
  if (!acrSatisfies(acr, input.requiredAcr)) {
    return fail(
      'unmet_authentication_requirements',
      `The requested authentication level ${input.requiredAcr} cannot be reached.`,
    );
  }
  return { kind: 'finish', accountId: user.id, acr, amr: amrFor(used), methods: used };
}

/**
 * What every sign-in needs whatever the policies say: a method that identified the user, and the
 * second factor the user has set up (someone who enrolled TOTP is always asked for it).
 */
function baselineRequirement(user: UserCapabilities, registry: readonly MethodDescriptor[]): Requirement {
  const clauses: RequirementClause[] = [registry.filter((m) => m.identifies).map((m) => m.name)];
  if (user.enrolled.includes('totp')) clauses.push(['totp']);
  return clauses;
}

function denied(clause: RequirementClause): [RequirementClause, FlowError] {
  return [clause, 'access_denied'];
}

function fail(error: FlowError, description: string): FlowStep {
  return { kind: 'fail', error, description };
}
