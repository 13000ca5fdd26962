// The sign-in orchestration as a pure decision: given the policy decision, the client's kind, who has been
// identified, which methods they can use, what has been proven (and when) and which methods already ran to
// no avail, say what comes next: a method to ask for, finish, or fail with an OAuth error. Every path ends:
// a requirement that cannot be met is a failure, a method that ran and proved nothing is not offered again,
// so nothing ever loops.
import {
  AUTH_METHODS,
  DEVICE_PROVING_METHODS,
  freshMethods,
  isMfaMet,
  unmetClauses,
  type ClientType,
  type Decision,
  type MethodName,
  type Requirement,
  type RequirementClause,
  type RequirementName,
} from '../policies/index.js';
import { acrFor, acrRequirement, type AcrValue } from '../oidc/acr.js';
import { amrOf, methodTimes, provenDevice, type Proof } from './proofs.js';

/** What the orchestration needs to know about an identified user. */
export interface UserCapabilities {
  id: string;
  /** Methods the user has set up (password, totp, device_certificate, passkey). */
  enrolled: readonly MethodName[];
}

/** A registered method as the pure flow sees it. */
export interface MethodDescriptor {
  readonly name: MethodName;
  /** True when a proof of this method tells who the user is (it can start a sign-in). */
  readonly identifies: boolean;
  /** Words for a requirement this method meets, and what to do without it. */
  readonly text: MethodText;
}

export interface MethodText {
  /** e.g. "a trusted device (device certificate)". */
  readonly requirement: string;
  /** What a person who cannot use it does, e.g. "Use a device enrolled with Latchkey, then try again." */
  readonly hint: string;
}

export interface FlowInput {
  decision: Decision;
  clientKind: ClientType;
  user?: UserCapabilities;
  /** What this sign-in (and, for step-up, the session) has proven. */
  proofs: readonly Proof[];
  /** Methods that ran in this sign-in and proved nothing (a device check found no trusted device): why. */
  settled: Readonly<Partial<Record<MethodName, string>>>;
  /** Classes the relying party asked for with acr_values or the claims parameter (known ones, in its order). */
  acrValues: readonly AcrValue[];
  registry: readonly MethodDescriptor[];
  now: number;
  /** For a factor client (another IdP sending its user to prove the device): how it is set up. */
  factor?: FactorFlow;
}

/** What the flow needs of a factor client's set-up and request. */
export interface FactorFlow {
  /**
   * Whom the other IdP says the sign-in is for (its login_hint, Entra's hint); null id: nobody here, or a
   * hint that cannot name anyone (`refusal` then says why).
   */
  expected?: { id: string | null; named: string; refusal?: string };
  /** True: a sign-in that proves no device still finishes, its device_context saying `managed: false`. */
  reportsUnmanaged: boolean;
  /** How long a device proven for this client is relied on (it bounds the policies' sign-in frequency). */
  sessionSeconds: number;
  clientName: string;
}

export type FlowError = 'access_denied' | 'unmet_authentication_requirements';

/**
 * Why a method is asked for (what `policy what-if` explains): the device check runs first because proving
 * a device may change the decision; nobody is identified yet; or a requirement of every sign-in, of the
 * policies or of the relying party's acr_values is unmet.
 */
export type StepReason =
  | { kind: 'device_check' }
  | { kind: 'identify' }
  | { kind: 'requirement'; source: 'sign_in' | 'policy' | 'acr_values'; clause: RequirementClause };

export type FlowStep =
  /** `alternatives`: other methods that could be used instead at this step (offered on the same page). */
  | { kind: 'method'; method: MethodName; because: StepReason; alternatives?: MethodName[] }
  /** `acr` is absent when nothing was proven (a factor client told of an unmanaged device). */
  | { kind: 'finish'; accountId: string; acr?: string; amr: string[]; proofs: Proof[] }
  | { kind: 'fail'; error: FlowError; description: string };

const COMPOSITE_TEXT: Partial<Record<RequirementName, MethodText>> = {
  mfa: {
    requirement: 'multi-factor authentication',
    hint: 'Ask your administrator to set up a second factor (an authenticator app) for your account.',
  },
  highest_mfa: {
    requirement: 'your strongest second factor',
    hint: 'Ask your administrator to set up a second factor for your account.',
  },
};

/**
 * The methods that may sign a user in on their own. Our own and third-party applications: a password or a
 * passkey (device-bound or synced). A federated factor (another IdP that already knows the user): only
 * device-bound proofs (a device certificate, a device-bound passkey), never a password or a synced
 * passkey, whatever `sign_in_with` adds. Policies add to these with `sign_in_with`.
 */
export function firstFactors(clientKind: ClientType, signInWith: readonly MethodName[]): MethodName[] {
  if (clientKind === 'factor') return [...DEVICE_PROVING_METHODS];
  // Any passkey can identify here, device-bound ones included: naming those again would ask twice.
  return [...new Set<MethodName>(['password', 'passkey', ...signInWith.filter((m) => m !== 'device_bound_passkey')])];
}

/** Decides the next step of a sign-in. */
export function nextStep(input: FlowInput): FlowStep {
  const { decision, user } = input;
  const usable = usableMethods(input);
  // Before anyone is identified the device check may identify its owner; a known user without any device
  // enrolled has nothing to present.
  const deviceCheckFirst =
    decision.deviceDependent &&
    !provenDevice(input.proofs) &&
    usable.some((m) => m.name === 'device_certificate') &&
    (!user || user.enrolled.includes('device_certificate'));
  // A decision that proving a device could change is not final yet: check the device before anything else.
  if (deviceCheckFirst) return { kind: 'method', method: 'device_certificate', because: { kind: 'device_check' } };
  if (decision.outcome === 'deny') {
    const passkey = devicePasskeyCouldProve(input);
    if (passkey) return { kind: 'method', method: passkey, because: { kind: 'device_check' } };
    return fail('access_denied', decision.denialMessage ?? decision.reason, deviceReasons(input));
  }
  const { factor } = input;
  const expected = factor?.expected;
  if (expected?.id === null) {
    return fail(
      'access_denied',
      expected.refusal ??
        `${factor!.clientName} asked to check the device of ${expected.named}, who has no Latchkey account.`,
    );
  }
  const primary = firstFactors(input.clientKind, decision.signInWith);
  if (!user) {
    const [identify, ...others] = primary
      .map((name) => usable.find((method) => method.name === name && method.identifies))
      .filter((method): method is MethodDescriptor => method !== undefined);
    return identify
      ? {
          kind: 'method',
          method: identify.name,
          because: { kind: 'identify' },
          ...(others.length ? { alternatives: others.map((m) => m.name) } : {}),
        }
      : fail(
          'access_denied',
          factor
            ? `${factor.clientName} needs a device enrolled with Latchkey, and this sign-in proved none.`
            : 'No sign-in method is available for this application.',
          deviceReasons(input),
        );
  }
  if (expected && expected.id !== user.id) {
    return fail(
      'access_denied',
      `The device proven here is enrolled to another account than ${expected.named}'s, whom ${factor!.clientName} asked about.`,
    );
  }
  const fresh = freshMethods(methodTimes(input.proofs), maxAges(decision, factor), input.now);
  const pending: Array<[RequirementClause, FlowError, Pending]> = [
    ...unmetClauses(baselineRequirement(input, primary), fresh, user.enrolled).map(denied('sign_in')),
    ...decision.unmet.map(denied('policy')),
    ...unmetClauses(acrRequirement(input.acrValues), fresh, user.enrolled).map(
      (clause): [RequirementClause, FlowError, Pending] => [clause, 'unmet_authentication_requirements', 'acr_values'],
    ),
  ];
  // A factor client is only ever asked for a device-bound proof: no password or code page, whatever a
  // policy or the request asks for (a requirement only those could meet fails instead).
  const askable = factor ? usable.filter((m) => DEVICE_PROVING_METHODS.includes(m.name)) : usable;
  for (const [clause, error, source] of pending) {
    const method = askable.find(
      (m) =>
        !fresh.has(m.name) &&
        user.enrolled.includes(m.name) &&
        unmetClauses([clause], new Set([...fresh, m.name]), user.enrolled).length === 0,
    );
    if (method) return { kind: 'method', method: method.name, because: { kind: 'requirement', source, clause } };
    if (source === 'sign_in' && factor && expected) {
      // A factor client told of unmanaged devices gets an answer without a device (the hint names the user).
      if (factor.reportsUnmanaged) continue;
      return failNamedDevice(input, factor, expected.named, clause);
    }
    if (factor && source !== 'sign_in') return failFactorRequirement(input, factor, clause, error);
    return failClause(input, clause, error);
  }
  return finish(input, user, fresh);
}

/**
 * A deny that rests only on the device (no device proven, the device check found none) is not final while
 * a device-bound passkey could still prove one: offer it (to a user who has one, or to anyone while no
 * user is known). Declining it settles it, and the deny stands.
 */
function devicePasskeyCouldProve(input: FlowInput): MethodName | undefined {
  const { decision, user } = input;
  const forWantOfDevice =
    decision.deniedForUnmanagedDevice || (input.clientKind === 'factor' && decision.basis === 'default');
  if (!forWantOfDevice || provenDevice(input.proofs)) return undefined;
  const method = usableMethods(input).find((m) => m.name === 'device_bound_passkey');
  if (!method || (user && !user.enrolled.includes(method.name))) return undefined;
  return method.name;
}

/** How old each method's proof may be: the policies' sign-in frequency, bounded by a factor client's session lifetime. */
function maxAges(decision: Decision, factor: FactorFlow | undefined): Decision['maxAgeSeconds'] {
  if (!factor) return decision.maxAgeSeconds;
  const bounded: Partial<Record<MethodName, number>> = { ...decision.maxAgeSeconds };
  for (const method of AUTH_METHODS) bounded[method] = Math.min(bounded[method] ?? Infinity, factor.sessionSeconds);
  return bounded;
}

/** Registered methods not yet settled in this sign-in. */
function usableMethods(input: FlowInput): MethodDescriptor[] {
  return input.registry.filter((method) => input.settled[method.name] === undefined);
}

/**
 * What every sign-in needs whatever the policies say: a first factor that identified the user, and for
 * someone who set up an authenticator app, multi-factor (a password alone is never enough for them). A
 * federated factor's user was authenticated by the other IdP: the device is all Latchkey adds.
 */
function baselineRequirement(input: FlowInput, primary: readonly MethodName[]): Requirement {
  const identifying = primary.filter((name) => input.registry.some((m) => m.name === name && m.identifies));
  const clauses: RequirementClause[] = [identifying];
  if (input.clientKind !== 'factor' && input.user?.enrolled.includes('totp')) clauses.push(['mfa']);
  return clauses;
}

function finish(input: FlowInput, user: UserCapabilities, fresh: ReadonlySet<MethodName>): FlowStep {
  const proofs = input.proofs.filter((proof) => fresh.has(proof.method));
  // Nothing proven (a factor client's unmanaged device, named by its hint): no class is claimed.
  if (proofs.length === 0 && input.acrValues.length === 0) {
    return { kind: 'finish', accountId: user.id, amr: [], proofs };
  }
  const multiFactor = isMfaMet(fresh);
  const acr = acrFor(
    { multiFactor, deviceProven: provenDevice(proofs) !== undefined, methods: fresh },
    input.acrValues,
  );
  if (acr === undefined) {
    return fail('unmet_authentication_requirements', 'The requested authentication level cannot be reached.');
  }
  return { kind: 'finish', accountId: user.id, acr, amr: amrOf(proofs, multiFactor), proofs };
}

function failClause(input: FlowInput, clause: RequirementClause, error: FlowError): FlowStep {
  const texts = clause.map((name) => textOf(input, name));
  const what = texts.map((text) => text.requirement).join(' or ');
  // A method that ran and failed says why (a revoked certificate), rather than telling the user to set it up.
  const ran = clause.map((name) => input.settled[name as MethodName]).filter((reason): reason is string => !!reason);
  const advice = ran.length ? ran.join(' ') : (texts[0]?.hint ?? '');
  return fail(error, `This sign-in requires ${what}, which your account cannot provide here. ${advice}`.trim());
}

/** A factor sign-in for the user the other IdP named found no device of theirs. */
function failNamedDevice(input: FlowInput, factor: FactorFlow, named: string, clause: RequirementClause): FlowStep {
  const ran = clause.map((name) => input.settled[name as MethodName]).filter((reason): reason is string => !!reason);
  if (ran.length === 0) {
    return fail(
      'access_denied',
      `${factor.clientName} asked to check the device of ${named}, who has no device enrolled with Latchkey.`,
    );
  }
  return fail(
    'access_denied',
    `${factor.clientName} needs a device of ${named}'s enrolled with Latchkey, and this sign-in proved none.`,
    ran.join(' '),
  );
}

/** A policy or the request asks a factor sign-in for more than a device-bound proof can give. */
function failFactorRequirement(
  input: FlowInput,
  factor: FactorFlow,
  clause: RequirementClause,
  error: FlowError,
): FlowStep {
  const what = clause.map((name) => textOf(input, name).requirement).join(' or ');
  const asker = error === 'access_denied' ? 'A policy' : factor.clientName;
  return fail(
    error,
    `${asker} asks for ${what}, which a device check for ${factor.clientName} cannot provide: it proves the device only.`,
  );
}

function textOf(input: FlowInput, name: RequirementName): MethodText {
  return (
    input.registry.find((method) => method.name === name)?.text ??
    COMPOSITE_TEXT[name] ?? { requirement: name.replace(/_/g, ' '), hint: '' }
  );
}

/** Why the device checks of this sign-in proved nothing, to add to a denial. */
function deviceReasons(input: FlowInput): string | undefined {
  return input.settled.device_certificate;
}

type Pending = Extract<StepReason, { kind: 'requirement' }>['source'];

function denied(source: Pending) {
  return (clause: RequirementClause): [RequirementClause, FlowError, Pending] => [clause, 'access_denied', source];
}

function fail(error: FlowError, description: string, extra?: string): FlowStep {
  return { kind: 'fail', error, description: extra ? `${description} ${extra}` : description };
}
