// Routes of the sign-in interaction. Each request: load the interaction (oidc-provider checks its
// cookie), verify the CSRF token on posts, run one step, then either show the next page or finish the
// interaction with a login result or an OAuth error that goes back to the relying party.
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context, Middleware } from 'koa';
import { errors as oidcErrors, type Provider } from 'oidc-provider';
import type { AccessControl } from './access.js';
import { ForbiddenError, InvalidInputError, LatchkeyError, UnavailableError } from '../errors.js';
import { describeError } from '../http/errors.js';
import { directErrorAnswer } from './direct-answer.js';
import type { CsrfTokens } from '../http/csrf.js';
import { setPageCsp } from '../http/security-headers.js';
import type { Logger } from '../log.js';
import { sessionMethods } from '../oidc/acr.js';
import type { ClientRepository } from '../store/clients.js';
import { consentPage, errorPage } from '../views/pages.js';
import { evaluateSignIn, signInRequest } from './next-step.js';
import {
  methodNamed,
  type MethodDeps,
  type RequestFacts,
  type SignInMethod,
  type StepOutcome,
} from './methods/index.js';
import type { InteractionState, InteractionStates } from './state.js';

export interface InteractionDeps extends MethodDeps {
  /** The issuer, for errors sent to the relying party directly (RFC 9207 iss). */
  issuer: string;
  /** The oidc-provider in use (looked up per request: it is rebuilt when signing keys change). */
  oidc: { readonly provider: Provider };
  clients: ClientRepository;
  csrf: CsrfTokens;
  states: InteractionStates;
  access: AccessControl;
  log: Logger;
}

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

interface Loaded {
  details: Details;
  uid: string;
  clientId: string;
  clientName: string;
  clientKind: string;
  redirectOrigin: string | undefined;
}

/** Login-prompt reasons that mean "the session's user is known, but more proof is needed now". */
export const SESSION_STEP_UP_REASONS = new Set(['policy_not_satisfied']);

const SESSION_GONE =
  'This sign-in page has expired or was opened in a different browser. Return to the application and start signing in again.';

export function interactionRouter(deps: InteractionDeps): Router {
  const router = new Router({ prefix: '/interaction' });
  const forms = bodyParser({ enableTypes: ['form'], formLimit: '16kb' });
  router.use(endsAtTheRelyingParty(deps));

  router.get('/:uid', async (ctx) => {
    const loaded = await load(ctx, deps);
    if (!loaded) return;
    if (loaded.details.prompt.name === 'consent') return showConsent(ctx, deps, loaded);
    await proceed(ctx, deps, loaded, await seededState(deps, loaded));
  });

  router.post('/:uid/consent', forms, async (ctx) => {
    const loaded = await loadForPost(ctx, deps);
    if (!loaded) return;
    if (loaded.details.prompt.name !== 'consent')
      throw new InvalidInputError('ERR_INTERACTION_STEP', 'this sign-in is not waiting for consent');
    if ((ctx.request.body as Record<string, unknown>).decision !== 'allow') {
      await deps.audit.record({ event: 'consent', outcome: 'deny', ...auditFacts(ctx, loaded) });
      return finish(ctx, deps, loaded, { error: 'access_denied', error_description: 'The user did not allow access.' });
    }
    await grantConsent(ctx, deps, loaded);
  });

  router.post('/:uid/abort', forms, async (ctx) => {
    const loaded = await loadForPost(ctx, deps);
    if (!loaded) return;
    await deps.audit.record({
      event: 'login.abort',
      outcome: 'failure',
      reasons: ['user cancelled'],
      ...auditFacts(ctx, loaded),
    });
    await finish(ctx, deps, loaded, { error: 'access_denied', error_description: 'The user cancelled the sign-in.' });
  });

  router.post('/:uid/:method', forms, async (ctx) => {
    const method = methodNamed(ctx.params.method ?? '');
    if (!method) throw new InvalidInputError('ERR_INTERACTION_METHOD', 'unknown sign-in step');
    const loaded = await loadForPost(ctx, deps);
    if (!loaded) return;
    const state = await deps.states.load(loaded.uid);
    if (!method.identifies && !state.userId) return proceed(ctx, deps, loaded, state);
    const body = ctx.request.body as Record<string, unknown>;
    const outcome = await method.verify(deps, { facts: requestFacts(ctx, loaded), userId: state.userId, body });
    if (!outcome.ok)
      return renderMethod(
        ctx,
        deps,
        loaded,
        method,
        outcome,
        typeof body.username === 'string' ? body.username : undefined,
      );
    const next: InteractionState =
      method.identifies && state.userId !== outcome.userId
        ? { userId: outcome.userId, methods: {} }
        : { ...state, userId: outcome.userId };
    next.methods = { ...next.methods, [method.name]: nowSeconds() };
    await deps.states.save(loaded.uid, next);
    await proceed(ctx, deps, loaded, next);
  });

  return router;
}

/**
 * Once an interaction is loaded, any unexpected failure (a bug, a store outage, no policy set in force)
 * ends at the relying party's redirect_uri as server_error or temporarily_unavailable with its state, not
 * on a page the relying party never hears of. Refusals meant for the person (a bad CSRF token, bad input)
 * stay pages they can act on. For a store outage, or when oidc-provider cannot finish the interaction itself,
 * the error is sent to the redirect_uri directly.
 */
function endsAtTheRelyingParty(deps: InteractionDeps): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      const loaded = ctx.state.interaction as Loaded | undefined;
      const described = describeError(error);
      if (!loaded || (described && described.status < 500)) throw error;
      const unavailable = described?.status === 503;
      const oauthError = unavailable ? 'temporarily_unavailable' : 'server_error';
      const description = unavailable
        ? described.message
        : 'The sign-in failed because of an error on our side. Try again; if it keeps happening, tell your administrator.';
      deps.log[unavailable ? 'warn' : 'error'](
        { err: error, uid: loaded.uid, oauthError },
        'sign-in ended with an error',
      );
      // A store that just failed is not trusted to finish the interaction: answer from what was validated.
      if (unavailable) return answerDirectly(ctx, deps, loaded, oauthError, description);
      try {
        await finish(ctx, deps, loaded, { error: oauthError, error_description: description });
      } catch (finishError) {
        deps.log.warn({ err: finishError, uid: loaded.uid }, 'answering the relying party directly');
        answerDirectly(ctx, deps, loaded, oauthError, description);
      }
    }
  };
}

function answerDirectly(ctx: Context, deps: InteractionDeps, loaded: Loaded, error: string, description: string): void {
  const answer = directErrorAnswer(loaded.details.params, deps.issuer, error, description);
  if (answer.kind === 'none') throw new UnavailableError('ERR_SIGN_IN_FAILED', description);
  if (answer.kind === 'redirect') {
    ctx.status = 303;
    ctx.redirect(answer.location);
    return;
  }
  setPageCsp(ctx, [new URL(answer.action).origin], true);
  ctx.type = 'html';
  ctx.body = answer.html;
}

/** Loads the interaction; renders the "expired" page (no redirect target is known) when it is gone. */
async function load(ctx: Context, deps: InteractionDeps): Promise<Loaded | undefined> {
  let details: Details | undefined;
  try {
    details = await deps.oidc.provider.interactionDetails(ctx.req, ctx.res);
  } catch (error) {
    if (!(error instanceof oidcErrors.SessionNotFound || error instanceof oidcErrors.InvalidRequest)) throw error;
    deps.log.info({ path: ctx.path, ip: ctx.ip, reason: (error as Error).message }, 'interaction not found');
  }
  if (!details || details.uid !== ctx.params.uid) {
    ctx.status = 400;
    ctx.type = 'html';
    ctx.body = errorPage('Sign-in expired', SESSION_GONE);
    return undefined;
  }
  const clientId = String(details.params.client_id);
  const redirectUri = details.params.redirect_uri as string | undefined;
  const loaded: Loaded = {
    details,
    uid: details.uid,
    clientId,
    clientName: clientId,
    clientKind: 'third_party',
    redirectOrigin: redirectUri ? safeOrigin(redirectUri) : undefined,
  };
  // From here on the relying party is known: failures end at its redirect_uri (endsAtTheRelyingParty).
  ctx.state.interaction = loaded;
  const client = await deps.clients.find(clientId);
  loaded.clientName = client?.name ?? clientId;
  loaded.clientKind = client?.kind ?? 'third_party';
  return loaded;
}

async function loadForPost(ctx: Context, deps: InteractionDeps): Promise<Loaded | undefined> {
  const loaded = await load(ctx, deps);
  if (!loaded) return undefined;
  const token = (ctx.request.body as Record<string, unknown> | undefined)?.csrf;
  if (!deps.csrf.verify(loaded.uid, token)) {
    deps.log.warn({ ip: ctx.ip, uid: loaded.uid }, 'refused interaction post with a bad CSRF token');
    throw new ForbiddenError('ERR_CSRF', 'This form has expired. Go back and try again.');
  }
  return loaded;
}

/**
 * When the session's user is known and only more proof is needed (step-up, sign-in frequency), keep the
 * user and the methods the session used, dated when the session signed in.
 */
async function seededState(deps: InteractionDeps, loaded: Loaded): Promise<InteractionState> {
  const state = await deps.states.load(loaded.uid);
  if (state.userId) return state;
  const { prompt, session } = loaded.details;
  const onlyStepUp = prompt.reasons.length > 0 && prompt.reasons.every((reason) => SESSION_STEP_UP_REASONS.has(reason));
  if (!onlyStepUp || !session?.accountId) return state;
  const stored = session.cookie ? await deps.oidc.provider.Session.find(session.cookie) : undefined;
  const seeded: InteractionState = { userId: session.accountId, methods: sessionMethods(stored?.amr, stored?.loginTs) };
  await deps.states.save(loaded.uid, seeded);
  return seeded;
}

async function proceed(ctx: Context, deps: InteractionDeps, loaded: Loaded, state: InteractionState): Promise<void> {
  const found = state.userId ? await deps.users.findById(state.userId) : undefined;
  const user = found && !found.disabled ? found : undefined;
  const request = signInRequest(ctx, loaded.clientId, user, state.methods);
  const evaluation = await evaluateSignIn(deps.access, request, loaded.details.params.acr_values as string | undefined);
  const { facts, decision, step } = evaluation;
  if (step.kind === 'method') return renderMethod(ctx, deps, loaded, methodNamed(step.method)!);
  await deps.access.record(decision, facts, { userAgent: facts.userAgent });
  const outcome = step.kind === 'finish' ? 'success' : 'failure';
  const reasons = step.kind === 'finish' ? [`acr ${step.acr}`, `amr ${step.amr.join(',')}`] : [step.description];
  await deps.audit.record({
    event: 'login.complete',
    outcome,
    userId: user?.id,
    username: user?.username,
    reasons,
    ...auditFacts(ctx, loaded),
  });
  if (step.kind === 'fail')
    return finish(ctx, deps, loaded, { error: step.error, error_description: step.description });
  await finish(ctx, deps, loaded, {
    login: { accountId: step.accountId, acr: step.acr, amr: step.amr, remember: true },
  });
}

function renderMethod(
  ctx: Context,
  deps: InteractionDeps,
  loaded: Loaded,
  method: SignInMethod,
  outcome?: StepOutcome,
  username?: string,
): void {
  const form = {
    action: `/interaction/${loaded.uid}/${method.name}`,
    abortAction: `/interaction/${loaded.uid}/abort`,
    csrf: deps.csrf.issue(loaded.uid),
    clientName: loaded.clientName,
  };
  const failed = outcome && !outcome.ok ? outcome : undefined;
  if (failed) ctx.status = failed.status;
  if (failed?.retryAfter) ctx.set('Retry-After', String(failed.retryAfter));
  // Browsers apply form-action to the redirects after a post: allow the relying party's origin.
  setPageCsp(ctx, loaded.redirectOrigin ? [loaded.redirectOrigin] : []);
  ctx.type = 'html';
  ctx.body = method.render(form, { username, error: failed?.message });
}

async function showConsent(ctx: Context, deps: InteractionDeps, loaded: Loaded): Promise<void> {
  // Our own applications and federating IdPs were approved by the administrator who registered them.
  if (loaded.clientKind !== 'third_party') return grantConsent(ctx, deps, loaded);
  const details = loaded.details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] };
  const form = {
    action: `/interaction/${loaded.uid}/consent`,
    csrf: deps.csrf.issue(loaded.uid),
    clientName: loaded.clientName,
  };
  setPageCsp(ctx, loaded.redirectOrigin ? [loaded.redirectOrigin] : []);
  ctx.type = 'html';
  ctx.body = consentPage(form, details.missingOIDCScope ?? [], details.missingOIDCClaims ?? []);
}

async function grantConsent(ctx: Context, deps: InteractionDeps, loaded: Loaded): Promise<void> {
  const { details } = loaded;
  const { provider } = deps.oidc;
  const accountId = details.session?.accountId;
  if (!accountId) throw new LatchkeyError('ERR_INTERACTION_STATE', 'consent without a signed-in user', { status: 400 });
  const existing = details.grantId ? await provider.Grant.find(details.grantId) : undefined;
  const grant = existing ?? new provider.Grant({ accountId, clientId: loaded.clientId });
  const missing = details.prompt.details as {
    missingOIDCScope?: string[];
    missingOIDCClaims?: string[];
    missingResourceScopes?: Record<string, string[]>;
  };
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {}))
    grant.addResourceScope(indicator, scopes.join(' '));
  const grantId = await grant.save();
  await deps.audit.record({
    event: 'consent',
    outcome: 'allow',
    userId: accountId,
    reasons: missing.missingOIDCScope ?? [],
    ...auditFacts(ctx, loaded),
  });
  await finish(ctx, deps, loaded, { consent: { grantId } });
}

/** Ends the interaction: oidc-provider continues the authorization and we redirect the browser there. */
async function finish(
  ctx: Context,
  deps: InteractionDeps,
  loaded: Loaded,
  result: Record<string, unknown>,
): Promise<void> {
  const redirectTo = await deps.oidc.provider.interactionResult(ctx.req, ctx.res, result, {
    mergeWithLastSubmission: false,
  });
  await deps.states.clear(loaded.uid);
  ctx.status = 303;
  ctx.redirect(redirectTo);
}

function requestFacts(ctx: Context, loaded: Loaded): RequestFacts {
  return { ip: ctx.ip, userAgent: ctx.get('user-agent') || undefined, clientId: loaded.clientId };
}

function auditFacts(ctx: Context, loaded: Loaded) {
  const { ip, userAgent, clientId } = requestFacts(ctx, loaded);
  return { ip, userAgent, clientId };
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

function safeOrigin(uri: string): string | undefined {
  try {
    const origin = new URL(uri).origin;
    return origin === 'null' ? undefined : origin;
  } catch {
    return undefined;
  }
}
