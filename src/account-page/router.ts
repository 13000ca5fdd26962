// /account: where people see their account, and (with later capabilities) manage devices and passkeys.
// It signs in through our own authorization endpoint (authorization code + PKCE as the built-in client)
// and redeems the code in-process through oidc-provider's model, then keeps a short signed cookie.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context } from 'koa';
import type { Provider } from 'oidc-provider';
import type { CsrfTokens } from '../http/csrf.js';
import { setPageCsp } from '../http/security-headers.js';
import type { Logger } from '../log.js';
import { ACCOUNT_CLIENT_ID } from '../policies/index.js';
import type { AuditLog } from '../store/audit.js';
import type { User, UserRepository } from '../store/users.js';
import { ACR_MFA } from '../oidc/acr.js';
import { accountPage } from '../views/account.js';
import { errorPage } from '../views/pages.js';
import { accountRedirectUri } from './client.js';
import type { AccountPasskeys, AccountSessionAccess } from './passkeys.js';

export interface AccountDeps {
  /** The oidc-provider in use (looked up per request: it is rebuilt when signing keys change). */
  oidc: { readonly provider: Provider };
  users: UserRepository;
  audit: AuditLog;
  csrf: CsrfTokens;
  issuer: string;
  log: Logger;
  /** The passkeys section and routes (passkeys.ts). */
  passkeys?: AccountPasskeys;
}

const SESSION_COOKIE = 'latchkey_account';
const FLOW_COOKIE = 'latchkey_account_flow';
const SESSION_SECONDS = 3600;
const cookieOptions = { httpOnly: true, secure: true, sameSite: 'lax' as const, signed: true, path: '/account' };

interface AccountSession {
  sub: string;
  /** The browser session (oidc-provider's) the sign-in landed in: its proofs say how fresh it is. */
  sid?: string;
  /** Issued at (ms): a cookie older than the user's last revoke-sessions is dead. */
  iat: number;
  exp: number;
}

export function accountRouter(deps: AccountDeps): Router {
  const router = new Router({ prefix: '/account' });

  const access: AccountSessionAccess = {
    current: (ctx) => signedIn(ctx, deps),
    signIn: (ctx, returnTo, fresh) => startSignIn(ctx, deps, { returnTo, fresh }),
  };

  router.get('/', async (ctx) => {
    const current = await signedIn(ctx, deps);
    if (!current) return startSignIn(ctx, deps);
    const { user } = current;
    const events = await deps.audit.search({ userId: user.id, limit: 10 });
    const csrf = deps.csrf.issue(`account:${user.id}`);
    const notice = typeof ctx.query.notice === 'string' ? ctx.query.notice : undefined;
    setPageCsp(ctx);
    ctx.type = 'html';
    ctx.body = accountPage({
      user,
      groups: await deps.users.groupNames(user.id),
      events,
      csrf,
      sections: deps.passkeys ? [await deps.passkeys.section(user, csrf, notice)] : [],
    });
  });
  deps.passkeys?.routes(router, access);

  router.get('/callback', async (ctx) => {
    const flow = readJsonCookie<{ state: string; verifier: string; returnTo?: string }>(ctx, FLOW_COOKIE);
    ctx.cookies.set(FLOW_COOKIE, null, cookieOptions);
    const state = String(ctx.query.state ?? '');
    if (!flow || !safeEqual(flow.state, state))
      return refuse(ctx, 'This sign-in link has expired. Open your account page again.');
    if (ctx.query.error) return refuse(ctx, String(ctx.query.error_description ?? ctx.query.error));
    const redeemed = await redeemCode(deps, String(ctx.query.code ?? ''), flow.verifier);
    if (!redeemed) return refuse(ctx, 'This sign-in link has expired. Open your account page again.');
    const session: AccountSession = {
      sub: redeemed.accountId,
      sid: redeemed.sessionUid,
      iat: Date.now(),
      exp: Math.floor(Date.now() / 1000) + SESSION_SECONDS,
    };
    ctx.cookies.set(SESSION_COOKIE, Buffer.from(JSON.stringify(session)).toString('base64url'), {
      ...cookieOptions,
      maxAge: SESSION_SECONDS * 1000,
    });
    ctx.redirect(isAccountPath(flow.returnTo) ? flow.returnTo : '/account');
  });

  router.post('/logout', bodyParser({ enableTypes: ['form'], formLimit: '4kb' }), async (ctx) => {
    const session = readSession(ctx);
    const token = (ctx.request.body as Record<string, unknown> | undefined)?.csrf;
    if (session && deps.csrf.verify(`account:${session.sub}`, token))
      ctx.cookies.set(SESSION_COOKIE, null, cookieOptions);
    ctx.status = 303;
    ctx.redirect('/session/end');
  });

  return router;
}

/** The signed-in user of this request, unless the cookie is missing, expired, or outlived a revoke-sessions. */
async function signedIn(
  ctx: Context,
  deps: AccountDeps,
): Promise<{ user: User; sessionUid: string | undefined } | undefined> {
  const session = readSession(ctx);
  const user = session ? await deps.users.findById(session.sub) : undefined;
  // `latchkey users revoke-sessions` (or disable) ends this page's session too.
  const revoked = (at: number | null) => at !== null && session!.iat <= at;
  if (!session || !user || user.disabled || revoked(user.sessionsRevokedAt)) return undefined;
  return { user, sessionUid: session.sid };
}

/** Only our own pages may be returned to after a sign-in (no open redirect). */
function isAccountPath(path: unknown): path is string {
  return (
    typeof path === 'string' &&
    !path.includes('..') &&
    /^\/account(\/[A-Za-z0-9/_.-]*)?(\?[A-Za-z0-9=&%_.-]*)?$/.test(path)
  );
}

/**
 * Starts an authorization request for the account client, remembering state, PKCE verifier and where to
 * return; `fresh` asks for a new sign-in with multi-factor (prompt=login, acr mfa) whatever the session.
 */
function startSignIn(ctx: Context, deps: AccountDeps, options: { returnTo?: string; fresh?: boolean } = {}): void {
  const state = randomBytes(16).toString('base64url');
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const returnTo = isAccountPath(options.returnTo) ? options.returnTo : undefined;
  ctx.cookies.set(FLOW_COOKIE, Buffer.from(JSON.stringify({ state, verifier, returnTo })).toString('base64url'), {
    ...cookieOptions,
    maxAge: 600_000,
  });
  const params = new URLSearchParams({
    client_id: ACCOUNT_CLIENT_ID,
    response_type: 'code',
    scope: 'openid',
    redirect_uri: accountRedirectUri(deps.issuer),
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...(options.fresh ? { prompt: 'login', acr_values: ACR_MFA } : {}),
  });
  ctx.redirect(`/auth?${params.toString()}`);
}

/** Redeems an authorization code issued to the account client; returns its account and browser session. */
async function redeemCode(
  deps: AccountDeps,
  value: string,
  verifier: string,
): Promise<{ accountId: string; sessionUid: string | undefined } | undefined> {
  if (!value) return undefined;
  const code = await deps.oidc.provider.AuthorizationCode.find(value);
  if (
    !code ||
    (code as { consumed?: number }).consumed ||
    code.clientId !== ACCOUNT_CLIENT_ID ||
    code.redirectUri !== accountRedirectUri(deps.issuer)
  )
    return undefined;
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  if (!code.codeChallenge || !safeEqual(challenge, code.codeChallenge)) return undefined;
  await code.consume();
  return code.accountId ? { accountId: code.accountId, sessionUid: code.sessionUid } : undefined;
}

function readSession(ctx: Context): AccountSession | undefined {
  const session = readJsonCookie<AccountSession>(ctx, SESSION_COOKIE);
  const valid =
    session && typeof session.sub === 'string' && typeof session.iat === 'number' && session.exp > Date.now() / 1000;
  return valid ? session : undefined;
}

function readJsonCookie<T>(ctx: Context, name: string): T | undefined {
  const raw = ctx.cookies.get(name, { signed: true });
  if (!raw) return undefined;
  try {
    return JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as T;
  } catch {
    return undefined;
  }
}

function refuse(ctx: Context, message: string): void {
  ctx.status = 400;
  ctx.type = 'html';
  ctx.body = errorPage('Account page unavailable', message);
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
