// Routes of the sign-in interaction. Each request: load the interaction (oidc-provider checks its
// cookie), verify the CSRF token on posts, run one step, then either show the next page or finish the
// interaction with a login result or an OAuth error that goes back to the relying party.
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context } from 'koa';
import { errors as oidcErrors, type Provider } from 'oidc-provider';
import type { SealedBox } from '../crypto/sealed-box.js';
import { ForbiddenError, InvalidInputError, LatchkeyError } from '../errors.js';
import type { CsrfTokens } from '../http/csrf.js';
import { setPageCsp } from '../http/security-headers.js';
import type { Logger } from '../log.js';
import { requestedAcr } from '../oidc/acr.js';
import type { AuditLog } from '../store/audit.js';
import type { ClientRepository } from '../store/clients.js';
import type { UserRepository } from '../store/users.js';
import { consentPage, errorPage, loginPage, totpPage } from '../views/pages.js';
import { nextStep, type FlowStep } from './flow.js';
import { checkPassword, checkTotpCode, type StepOutcome } from './methods.js';
import type { InteractionState, InteractionStates } from './state.js';
import type { LoginThrottle } from './throttle.js';

export interface InteractionDeps {
  provider: Provider;
  users: UserRepository;
  clients: ClientRepository;
  box: SealedBox;
  csrf: CsrfTokens;
  throttle: LoginThrottle;
  audit: AuditLog;
  states: InteractionStates;
  log: Logger;
}

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

interface Loaded {
  details: Details;
  uid: string;
  clientName: string;
  clientKind: string;
  redirectOrigin: string | undefined;
}

const SESSION_GONE =
  'This sign-in page has expired or was opened in a different browser. Return to the application and start signing in again.';

export function interactionRouter(deps: InteractionDeps): Router {
  const router = new Router({ prefix: '/interaction' });
  const forms = bodyParser({ enableTypes: ['form'], formLimit: '16kb' });

  router.get('/:uid', async (ctx) => {
    const loaded = await load(ctx, deps);
    if (!loaded) return;
    if (loaded.details.prompt.name === 'consent') return showConsent(ctx, deps, loaded);
    const state = await seededState(deps, loaded);
    await proceed(ctx, deps, loaded, state);
  });

  router.post('/:uid/password', forms, async (ctx) => {
    const loaded = await loadForPost(ctx, deps);
    if (!loaded) return;
    const body = ctx.request.body as Record<string, unknown>;
    const outcome = await checkPassword(deps, requestFacts(ctx, loaded), body.username, body.password);
    const state = await deps.states.load(loaded.uid);
    if (!outcome.ok) return renderMethod(ctx, deps, loaded, 'password', outcome, String(body.username ?? ''));
    const next: InteractionState = { userId: outcome.userId, methods: { password: nowSeconds() } };
    if (state.userId && state.userId !== outcome.userId) next.methods = { password: nowSeconds() };
    await deps.states.save(loaded.uid, next);
    await proceed(ctx, deps, loaded, next);
  });

  router.post('/:uid/totp', forms, async (ctx) => {
    const loaded = await loadForPost(ctx, deps);
    if (!loaded) return;
    const state = await deps.states.load(loaded.uid);
    if (!state.userId || state.methods.password === undefined) return proceed(ctx, deps, loaded, state);
    const outcome = await checkTotpCode(
      deps,
      requestFacts(ctx, loaded),
      state.userId,
      (ctx.request.body as Record<string, unknown>).otp,
    );
    if (!outcome.ok) return renderMethod(ctx, deps, loaded, 'totp', outcome);
    state.methods.totp = nowSeconds();
    await deps.states.save(loaded.uid, state);
    await proceed(ctx, deps, loaded, state);
  });

  router.post('/:uid/consent', forms, async (ctx) => {
    const loaded = await loadForPost(ctx, deps);
    if (!loaded) return;
    if (loaded.details.prompt.name !== 'consent')
      throw new InvalidInputError('ERR_INTERACTION_STEP', 'this sign-in is not waiting for consent');
    const decision = (ctx.request.body as Record<string, unknown>).decision;
    if (decision !== 'allow') {
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

  return router;
}

/** Loads the interaction; renders the "expired" page (no redirect target is known) when it is gone. */
async function load(ctx: Context, deps: InteractionDeps): Promise<Loaded | undefined> {
  let details: Details;
  try {
    details = await deps.provider.interactionDetails(ctx.req, ctx.res);
  } catch (error) {
    if (error instanceof oidcErrors.SessionNotFound || error instanceof oidcErrors.InvalidRequest) {
      deps.log.info({ path: ctx.path, ip: ctx.ip, reason: (error as Error).message }, 'interaction not found');
      ctx.status = 400;
      ctx.type = 'html';
      ctx.body = errorPage('Sign-in expired', SESSION_GONE);
      return undefined;
    }
    throw error;
  }
  if (details.uid !== ctx.params.uid) {
    ctx.status = 400;
    ctx.type = 'html';
    ctx.body = errorPage('Sign-in expired', SESSION_GONE);
    return undefined;
  }
  const clientId = String(details.params.client_id);
  const client = await deps.clients.find(clientId);
  const redirectUri = details.params.redirect_uri as string | undefined;
  return {
    details,
    uid: details.uid,
    clientName: client?.name ?? clientId,
    clientKind: client?.kind ?? 'third_party',
    redirectOrigin: redirectUri ? safeOrigin(redirectUri) : undefined,
  };
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

/** A step-up (acr_values above the session's) keeps the signed-in user and the methods they used. */
async function seededState(deps: InteractionDeps, loaded: Loaded): Promise<InteractionState> {
  const state = await deps.states.load(loaded.uid);
  if (state.userId) return state;
  const { prompt, session } = loaded.details;
  const onlyStepUp = prompt.reasons.length > 0 && prompt.reasons.every((reason) => reason === 'acr_values_not_met');
  const amr = (session as { amr?: string[] } | undefined)?.amr ?? [];
  if (onlyStepUp && session?.accountId && amr.includes('pwd')) {
    // The password was proven when the session signed in, not now: keep that time (sign-in frequency).
    const stored = session.cookie ? await deps.provider.Session.find(session.cookie) : undefined;
    const seeded: InteractionState = {
      userId: session.accountId,
      methods: { password: stored?.loginTs ?? nowSeconds() },
    };
    await deps.states.save(loaded.uid, seeded);
    return seeded;
  }
  return state;
}

async function proceed(ctx: Context, deps: InteractionDeps, loaded: Loaded, state: InteractionState): Promise<void> {
  const user = state.userId ? await deps.users.findById(state.userId) : undefined;
  const step: FlowStep = nextStep({
    user: user && !user.disabled ? { id: user.id, hasTotp: user.totpSecretSealed !== null } : undefined,
    methods: state.methods,
    requiredAcr: requestedAcr(loaded.details.params.acr_values as string | undefined),
  });
  if (step.kind === 'method') return renderMethod(ctx, deps, loaded, step.method);
  if (step.kind === 'fail') {
    await deps.audit.record({
      event: 'login.complete',
      outcome: 'failure',
      userId: user?.id,
      username: user?.username,
      reasons: [step.description],
      ...auditFacts(ctx, loaded),
    });
    return finish(ctx, deps, loaded, { error: step.error, error_description: step.description });
  }
  await deps.audit.record({
    event: 'login.complete',
    outcome: 'success',
    userId: user?.id,
    username: user?.username,
    reasons: [`acr ${step.acr}`, `amr ${step.amr.join(',')}`],
    ...auditFacts(ctx, loaded),
  });
  await finish(ctx, deps, loaded, {
    login: { accountId: step.accountId, acr: step.acr, amr: step.amr, remember: true },
  });
}

function renderMethod(
  ctx: Context,
  deps: InteractionDeps,
  loaded: Loaded,
  method: 'password' | 'totp',
  outcome?: StepOutcome,
  username?: string,
): void {
  const form = {
    action: `/interaction/${loaded.uid}/${method}`,
    csrf: deps.csrf.issue(loaded.uid),
    clientName: loaded.clientName,
  };
  const error = outcome && !outcome.ok ? outcome.message : undefined;
  if (outcome && !outcome.ok) ctx.status = outcome.status;
  if (outcome && !outcome.ok && outcome.retryAfter) ctx.set('Retry-After', String(outcome.retryAfter));
  // Browsers apply form-action to the redirects after a post: allow the relying party's origin.
  setPageCsp(ctx, loaded.redirectOrigin ? [loaded.redirectOrigin] : []);
  ctx.type = 'html';
  ctx.body = method === 'password' ? loginPage(form, { username, error }) : totpPage(form, { error });
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
  const { details, provider } = { details: loaded.details, provider: deps.provider };
  const accountId = details.session?.accountId;
  if (!accountId) throw new LatchkeyError('ERR_INTERACTION_STATE', 'consent without a signed-in user', { status: 400 });
  const grant = details.grantId
    ? ((await provider.Grant.find(details.grantId)) ??
      new provider.Grant({ accountId, clientId: String(details.params.client_id) }))
    : new provider.Grant({ accountId, clientId: String(details.params.client_id) });
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
  const redirectTo = await deps.provider.interactionResult(ctx.req, ctx.res, result, {
    mergeWithLastSubmission: false,
  });
  await deps.states.clear(loaded.uid);
  ctx.status = 303;
  ctx.redirect(redirectTo);
}

export interface RequestFacts {
  ip: string;
  userAgent: string | undefined;
  clientId: string;
}

function requestFacts(ctx: Context, loaded: Loaded): RequestFacts {
  return {
    ip: ctx.ip,
    userAgent: ctx.get('user-agent') || undefined,
    clientId: String(loaded.details.params.client_id),
  };
}

function auditFacts(ctx: Context, loaded: Loaded) {
  const facts = requestFacts(ctx, loaded);
  return { ip: facts.ip, userAgent: facts.userAgent, clientId: facts.clientId };
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
