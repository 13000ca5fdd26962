// The sign-in orchestration as a pure decision: given who has been identified, what they can do and
// which methods already succeeded, say what comes next — a method to ask for, finish, or fail with an
// OAuth error. Every path ends: a requirement that cannot be met is a failure, never a repeated prompt.
import { ACR_MFA, acrFor, acrSatisfies, amrFor, type AcrValue, type MethodName } from '../oidc/acr.js';

export interface FlowInput {
  /** The identified user's capabilities, once known. */
  user?: { id: string; hasTotp: boolean };
  methods: Partial<Record<MethodName, number>>;
  /** The class the relying party asked for with acr_values, if any. */
  requiredAcr?: AcrValue;
}

export type FlowStep =
  | { kind: 'method'; method: MethodName }
  | { kind: 'finish'; accountId: string; acr: string; amr: string[] }
  | { kind: 'fail'; error: 'access_denied' | 'unmet_authentication_requirements'; description: string };

/** Decides the next step of a sign-in. */
export function nextStep(input: FlowInput): FlowStep {
  const { user, methods, requiredAcr } = input;
  if (!user || methods.password === undefined) return { kind: 'method', method: 'password' };
  const needsSecondFactor = user.hasTotp || requiredAcr === ACR_MFA;
  if (needsSecondFactor && methods.totp === undefined) {
    if (user.hasTotp) return { kind: 'method', method: 'totp' };
    return {
      kind: 'fail',
      error: 'unmet_authentication_requirements',
      description:
        'This application requires multi-factor authentication, but no authenticator app is set up for your account. Ask your administrator to enroll one.',
    };
  }
  const used = Object.keys(methods) as MethodName[];
  const acr = acrFor(used);
  if (!acrSatisfies(acr, requiredAcr)) {
    return {
      kind: 'fail',
      error: 'unmet_authentication_requirements',
      description: `The requested authentication level ${requiredAcr} cannot be reached.`,
    };
  }
  return { kind: 'finish', accountId: user.id, acr, amr: amrFor(used) };
}
