// Follows a sign-in to its end without a browser, for `latchkey policy what-if`: the same evaluation and
// next-step logic a real sign-in runs, each method asked of the person taken as passed (the flow asks a
// known user only for methods they enrolled), and the device check answered as the scenario says. It
// writes nothing: no audit record, no counter.
import {
  formatRequirement,
  type DeviceTrust,
  type EpochSeconds,
  type Facts,
  type MethodName,
  type Platform,
} from '../policies/index.js';
import { LatchkeyError } from '../errors.js';
import type { User } from '../store/users.js';
import type { Evaluation, RequestView, SignInEvaluator } from './evaluate.js';
import type { FlowError, StepReason } from './flow.js';
import { explain as explainDeviceCheck } from './methods/device-certificate.js';
import type { Proof, ProvenDevice } from './proofs.js';

export interface SignInScenario {
  clientId: string;
  /** Who identifies themselves when asked; absent, the prediction stops at the first step that identifies. */
  user?: User;
  request: RequestView;
  /** Methods an existing session already proved, and when: a step-up of that session (needs `user`). */
  sessionMethods?: Partial<Record<MethodName, EpochSeconds>>;
  /** What the device check finds: one of the user's devices at this trust level, or (absent) nothing. */
  device?: { trust: Exclude<DeviceTrust, 'unmanaged'>; platform?: Platform; osVersion?: string };
  /** The relying party's acr_values, as it would send them. */
  acrValues?: string;
  /** Replaces facts the scenario sets outright (a country, a client type for a client not registered yet). */
  adjust?: (facts: Facts) => Facts;
}

/** One method the sign-in asks for, why, and what came of it. */
export interface PredictedStep {
  method: MethodName;
  because: StepReason;
  /** proved: the person passes it; found_nothing: the device check proved no device (the reason follows). */
  result: 'proved' | 'found_nothing';
  detail?: string;
}

interface Ending {
  steps: PredictedStep[];
  /** The evaluation that decided the ending (its facts and policy decision). */
  final: Evaluation;
}

export type Prediction =
  | (Ending & { outcome: 'allow'; acr?: string })
  | (Ending & {
      outcome: 'deny';
      error: FlowError;
      /** What the person is shown (the page and error_description). */
      message: string;
      /** Why, for the administrator. */
      reason: string;
    })
  | (Ending & { outcome: 'needs'; next: { method: MethodName; because: StepReason }; reason: string });

/** Flows end within a handful of steps (each method runs once); more means a bug, not a long sign-in. */
const MAX_STEPS = 10;

const WHAT_IF_DEVICE = 'what-if';

/** Runs the sign-in of `scenario` through `evaluator` until it finishes, fails or needs someone to be known. */
export async function predictSignIn(evaluator: SignInEvaluator, scenario: SignInScenario): Promise<Prediction> {
  const { user } = scenario;
  const now = Math.floor(Date.now() / 1000);
  const enrolled = user ? await evaluator.enrolled(user) : [];
  if (scenario.device && user && !enrolled.includes('device_certificate')) {
    throw new LatchkeyError(
      'ERR_USAGE_DEVICE',
      `${user.username} has no enrolled device, so no device check can find one of theirs: enroll one (latchkey devices enroll-token ${user.username}) or leave out --device-trust`,
      { status: 400 },
    );
  }
  const sessionMethods = Object.entries(scenario.sessionMethods ?? {}) as Array<[MethodName, EpochSeconds]>;
  // A session's step-up knows its user from the start; a fresh sign-in learns who it is from a first factor.
  let known = sessionMethods.length > 0 ? user : undefined;
  let proofs: Proof[] = sessionMethods.map(([method, at]) => proofOf(method, at, scenario, user));
  const settled: Partial<Record<MethodName, string>> = {};
  const steps: PredictedStep[] = [];
  for (let round = 0; round < MAX_STEPS; round += 1) {
    const final = await evaluator.evaluateRequest(
      scenario.request,
      { clientId: scenario.clientId, user: known, proofs, settled, acrValues: scenario.acrValues },
      scenario.adjust,
    );
    const { step } = final;
    // Only the acr: the amr values belong to each method's verify(), which a prediction does not run.
    if (step.kind === 'finish') return { outcome: 'allow', steps, final, acr: step.acr };
    if (step.kind === 'fail') {
      const reason = adminReason(final, step.error, known, known ? enrolled : undefined);
      return { outcome: 'deny', steps, final, error: step.error, message: step.description, reason };
    }
    const { method, because } = step;
    if (method === 'device_certificate') {
      if (!scenario.device) {
        const detail = explainDeviceCheck({ status: 'unmanaged', reason: '' });
        settled.device_certificate = detail;
        steps.push({ method, because, result: 'found_nothing', detail });
        continue;
      }
      if (!user) return needs(steps, final, method, because, 'the device check tells whose device it is');
      known ??= user;
    } else if (!known) {
      if (!user) return needs(steps, final, method, because, 'the user is not known yet');
      if (!enrolled.includes(method)) {
        return {
          outcome: 'deny',
          steps,
          final,
          error: 'access_denied',
          message:
            method === 'password'
              ? 'The username or password is incorrect.'
              : `This account cannot use ${method} to sign in.`,
          reason: `the sign-in identifies people by ${method}, which ${user.username} has not set up (enrolled: ${enrolled.join(', ') || 'nothing'})`,
        };
      }
      known = user;
    }
    steps.push({ method, because, result: 'proved' });
    proofs = [...proofs.filter((p) => p.method !== method), proofOf(method, now, scenario, known)];
  }
  throw new LatchkeyError('ERR_INTERNAL', `the predicted sign-in did not end within ${MAX_STEPS} steps`);
}

function needs(
  steps: PredictedStep[],
  final: Evaluation,
  method: MethodName,
  because: StepReason,
  why: string,
): Prediction {
  return {
    outcome: 'needs',
    steps,
    final,
    next: { method, because },
    reason: `${why}: give --user to follow the sign-in to its end`,
  };
}

function proofOf(method: MethodName, at: EpochSeconds, scenario: SignInScenario, user: User | undefined): Proof {
  const device: ProvenDevice | undefined =
    method === 'device_certificate' && scenario.device && user
      ? {
          id: WHAT_IF_DEVICE,
          userId: user.id,
          trust: scenario.device.trust,
          platform: scenario.device.platform,
          osVersion: scenario.device.osVersion,
          managed: true,
          compliant: scenario.device.trust === 'trusted',
        }
      : undefined;
  return { method, at, amr: [], userId: user?.id, device };
}

/** Why the sign-in ended denied, for the administrator: the policy's reason, or the requirement nobody met. */
function adminReason(
  final: Evaluation,
  error: FlowError,
  user: User | undefined,
  enrolled: readonly MethodName[] | undefined,
): string {
  const { decision } = final;
  if (decision.outcome === 'deny') return decision.reason;
  const who = user ? `${user.username} (enrolled: ${enrolled?.join(', ') || 'nothing'})` : 'the person';
  if (error === 'unmet_authentication_requirements') {
    return `the relying party's acr_values ask for more than ${who} can prove here`;
  }
  const unmet = decision.unmet.length ? formatRequirement(decision.unmet) : 'what every sign-in needs';
  return `${decision.reason}; ${unmet} cannot be met by ${who}`;
}
