// The steps of a sign-in, between the HTTP routes and the pure flow: begin (seeding a step-up with what the
// session proved), attempt a method (verify its form post or hand-off return and keep the proof), and
// proceed (evaluate, then show the next method, or finish with a login or an OAuth error).
import type { Context } from 'koa';
import { setPageCsp } from '../http/security-headers.js';
import { PROVEN_RESULT_KEY } from '../oidc/provider.js';
import { isStorableId } from '../store/oidc-adapter.js';
import type { User } from '../store/users.js';
import type { InteractionDeps } from './deps.js';
import { finish } from './finish.js';
import { auditFacts, formTargets, type Loaded } from './loading.js';
import type { MethodContext, MethodInput, RetryableFailure, SignInMethod } from './methods/types.js';
import type { MethodName } from '../policies/index.js';
import type { FactorSignIn } from './federation.js';
import { provenDevice, withProof, type Proof } from './proofs.js';
import { emptyState, type InteractionState } from './state.js';
import type { SignInProgress } from './evaluate.js';
import { entraAmr } from '../federation/entra-answer.js';

/** Login-prompt reasons that mean "the session's user is known, but more proof is needed now". */
export const SESSION_STEP_UP_REASONS = new Set(['policy_not_satisfied']);

/** A method that redirects (the device check) is started at most this often per sign-in, then settles. */
const MAX_STARTS = 3;

const OTHER_USERS_DEVICE = 'This device is enrolled to another person’s account.';

/** Starts or resumes the sign-in of a freshly loaded interaction. */
export async function begin(ctx: Context, deps: InteractionDeps, loaded: Loaded): Promise<void> {
  await proceed(ctx, deps, loaded, await seededState(deps, loaded));
}

/** Verifies one use of `method` and goes on with what it proved. */
export async function attempt(
  ctx: Context,
  deps: InteractionDeps,
  loaded: Loaded,
  method: SignInMethod,
  input: MethodInput,
): Promise<void> {
  const state = await deps.states.load(loaded.uid);
  // A second factor has nothing to verify against before someone is identified.
  if (!method.identifies && !state.userId) return proceed(ctx, deps, loaded, state);
  const user = await activeUser(deps, state.userId);
  const result = await method.verify(methodContext(ctx, deps, loaded, method, user, state), input);
  if (!result.ok && !result.settled) {
    return show(
      ctx,
      deps,
      loaded,
      state,
      method,
      user,
      result,
      await alternativesNow(ctx, deps, loaded, state, method),
    );
  }
  if (!result.ok) {
    const settled = { ...state, settled: { ...state.settled, [method.name]: result.message } };
    await deps.states.save(loaded.uid, settled);
    return proceed(ctx, deps, loaded, settled);
  }
  const { proof } = result;
  let next: InteractionState = state;
  if (proof.userId && state.userId && proof.userId !== state.userId && loaded.factor) {
    // A factor sign-in is for the user the other IdP named: another person's device proves nothing here.
    const settled = { ...state, settled: { ...state.settled, [method.name]: OTHER_USERS_DEVICE } };
    await deps.states.save(loaded.uid, settled);
    return proceed(ctx, deps, loaded, settled);
  }
  if (proof.userId && state.userId && proof.userId !== state.userId) {
    // Someone else signed in on this page (another username): start over for them; a device proven for
    // the previous user is not theirs.
    const device = provenDevice(state.proofs);
    next = {
      ...emptyState(),
      settled: device ? { ...state.settled, device_certificate: OTHER_USERS_DEVICE } : state.settled,
      starts: state.starts,
    };
  }
  next = { ...next, userId: next.userId ?? proof.userId, proofs: withProof(next.proofs, proof) };
  await deps.states.save(loaded.uid, next);
  await proceed(ctx, deps, loaded, next);
}

/** Evaluates the sign-in and acts on the next step. */
export async function proceed(
  ctx: Context,
  deps: InteractionDeps,
  loaded: Loaded,
  state: InteractionState,
): Promise<void> {
  const user = await activeUser(deps, state.userId);
  const { facts, decision, step } = await deps.evaluator.evaluate(ctx, progressOf(loaded, state, user));
  if (step.kind === 'method') {
    return show(ctx, deps, loaded, state, deps.evaluator.method(step.method)!, user, undefined, step.alternatives);
  }
  await deps.access.record(decision, facts, { userAgent: facts.userAgent });
  const device = provenDevice(step.kind === 'finish' ? step.proofs : []);
  await deps.audit.record({
    event: 'login.complete',
    outcome: step.kind === 'finish' ? 'success' : 'failure',
    userId: user?.id,
    username: user?.username,
    deviceId: device?.id,
    reasons: step.kind === 'finish' ? [`acr ${step.acr ?? '(none)'}`, `amr ${step.amr.join(',')}`] : [step.description],
    // The sign-in's last word: a policy "allow" the person could not meet still ends here as a failure.
    detail: step.kind === 'finish' ? { acr: step.acr } : { error: step.error, policyOutcome: decision.outcome },
    ...auditFacts(ctx, loaded),
  });
  ctx.state.signInRecorded = true;
  if (step.kind === 'fail')
    return finish(ctx, deps, loaded, { error: step.error, error_description: step.description });
  const refusal = loaded.factor && (await factorRefusal(deps, loaded, loaded.factor, step.accountId, step.proofs));
  if (refusal) return finish(ctx, deps, loaded, refusal);
  // Entra takes exactly one amr value, one it asked for.
  const amr = loaded.factor?.settings.entra ? entraAmr(step.proofs, loaded.details.params.claims) : step.amr;
  await finish(ctx, deps, loaded, {
    login: { accountId: step.accountId, acr: step.acr, amr, remember: true },
    [PROVEN_RESULT_KEY]: { proofs: step.proofs },
  });
}

/** Shows a method's page, or sends the browser where the method starts (counted, so it cannot loop). */
async function show(
  ctx: Context,
  deps: InteractionDeps,
  loaded: Loaded,
  state: InteractionState,
  method: SignInMethod,
  user: User | undefined,
  failure?: RetryableFailure,
  alternatives: readonly MethodName[] = [],
): Promise<void> {
  const offers = [];
  for (const name of alternatives) {
    const other = deps.evaluator.method(name);
    if (other?.offer) offers.push(await other.offer(methodContext(ctx, deps, loaded, other, user, state)));
  }
  const started = await method.start({ ...methodContext(ctx, deps, loaded, method, user, state), offers }, failure);
  if (started.kind === 'redirect') {
    const starts = state.starts[method.name] ?? 0;
    if (starts >= MAX_STARTS) {
      const reason = `The ${method.text.requirement} could not be checked: return to the application and try again.`;
      const settled = { ...state, settled: { ...state.settled, [method.name]: reason } };
      await deps.states.save(loaded.uid, settled);
      return proceed(ctx, deps, loaded, settled);
    }
    await deps.states.save(loaded.uid, { ...state, starts: { ...state.starts, [method.name]: starts + 1 } });
    ctx.status = 303;
    ctx.redirect(started.location);
    return;
  }
  if (started.status) ctx.status = started.status;
  if (started.retryAfter) ctx.set('Retry-After', String(started.retryAfter));
  setPageCsp(ctx, formTargets(deps, loaded), started.scripts);
  ctx.type = 'html';
  ctx.body = started.html;
}

function methodContext(
  ctx: Context,
  deps: InteractionDeps,
  loaded: Loaded,
  method: SignInMethod,
  user: User | undefined,
  state: InteractionState,
): MethodContext {
  const hint = loaded.details.params.login_hint;
  return {
    uid: loaded.uid,
    client: { id: loaded.clientId, name: loaded.clientName, kind: loaded.clientKind },
    request: auditFacts(ctx, loaded),
    user,
    proofs: state.proofs,
    form: {
      action: `/interaction/${loaded.uid}/${method.name}`,
      abortAction: `/interaction/${loaded.uid}/abort`,
      csrf: deps.csrf.issue(loaded.uid),
      clientName: loaded.clientName,
    },
    loginHint: isStorableId(hint) && hint.length <= 320 ? hint : undefined,
  };
}

/** The methods that could be used instead of `method` now (to offer them again beside a failed attempt). */
async function alternativesNow(
  ctx: Context,
  deps: InteractionDeps,
  loaded: Loaded,
  state: InteractionState,
  method: SignInMethod,
): Promise<MethodName[]> {
  const { step } = await deps.evaluator.evaluate(ctx, progressOf(loaded, state, await activeUser(deps, state.userId)));
  return step.kind === 'method' && step.method === method.name ? (step.alternatives ?? []) : [];
}

/**
 * Why a factor sign-in the flow finished cannot be answered: an answer without a device must not take the
 * place of another person's session in this browser (a site could plant one with a login_hint); the
 * client must get the preferred_username it matches users on; Entra one amr value it asked for.
 */
async function factorRefusal(
  deps: InteractionDeps,
  loaded: Loaded,
  factor: FactorSignIn,
  accountId: string,
  proofs: readonly Proof[],
): Promise<{ error: string; error_description: string } | undefined> {
  const sessionOwner = loaded.details.session?.accountId;
  if (proofs.length === 0 && sessionOwner && sessionOwner !== accountId) {
    return {
      error: 'access_denied',
      error_description: 'This browser is signed in to Latchkey as someone else, and no device was proven.',
    };
  }
  const user = await deps.users.findById(accountId);
  const unanswerable = user && (await deps.federation.unanswerable(factor, user));
  if (unanswerable) return { error: 'access_denied', error_description: unanswerable };
  if (factor.settings.entra && entraAmr(proofs, loaded.details.params.claims).length === 0) {
    return {
      error: 'unmet_authentication_requirements',
      error_description: 'None of the amr values Entra asked for describes the device proven here.',
    };
  }
  return undefined;
}

/** Where the sign-in of `loaded` stands, as the evaluator takes it. */
function progressOf(loaded: Loaded, state: InteractionState, user: User | undefined): SignInProgress {
  return {
    clientId: loaded.clientId,
    user,
    proofs: state.proofs,
    settled: state.settled,
    acrValues: loaded.details.params.acr_values,
    claims: loaded.details.params.claims,
    factor: loaded.factor,
  };
}

async function activeUser(deps: InteractionDeps, userId: string | undefined): Promise<User | undefined> {
  const user = userId ? await deps.users.findById(userId) : undefined;
  return user && !user.disabled ? user : undefined;
}

/**
 * When the session's user is known and only more proof is needed (step-up, sign-in frequency, a device
 * check), keep the user and what the session proved that still holds.
 */
async function seededState(deps: InteractionDeps, loaded: Loaded): Promise<InteractionState> {
  const state = await deps.states.load(loaded.uid);
  if (state.userId) return state;
  const { prompt, session } = loaded.details;
  // A factor sign-in whose IdP named the user is theirs from the start (their device is what is checked);
  // the session helps only when it is the same person's.
  const named = loaded.factor?.expected?.id ?? undefined;
  const onlyStepUp = prompt.reasons.length > 0 && prompt.reasons.every((reason) => SESSION_STEP_UP_REASONS.has(reason));
  if (named && (!onlyStepUp || session?.accountId !== named)) {
    const seeded: InteractionState = { ...state, userId: named };
    await deps.states.save(loaded.uid, seeded);
    return seeded;
  }
  // Nobody named: the device says who this is, not whoever the browser's session belongs to.
  if (loaded.factor && !named) return state;
  if (!onlyStepUp || !session?.accountId) return state;
  const now = Math.floor(Date.now() / 1000);
  const { proofs } = await deps.sessionProofs.current(session.uid, session.accountId, now);
  const seeded: InteractionState = { ...state, userId: session.accountId, proofs };
  await deps.states.save(loaded.uid, seeded);
  return seeded;
}
