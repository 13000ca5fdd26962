// The account page's own session: it signs in through our authorization endpoint as the built-in client
// (authorization code + PKCE, the code redeemed in-process through oidc-provider's model) and then keeps
// a short signed cookie holding who signed in, when, and with what (amr), so that sensitive changes can
// ask for a recent sign-in.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';
import { errors, type Provider } from 'oidc-provider';
import { ACCOUNT_CLIENT_ID } from '../policies/index.js';
import type { User } from '../store/users.js';
import { accountRedirectUri } from './client.js';

const SESSION_COOKIE = 'latchkey_account';
const FLOW_COOKIE = 'latchkey_account_flow';
const SESSION_SECONDS = 3600;
const cookieOptions = { httpOnly: true, secure: true, sameSite: 'lax' as const, signed: true, path: '/account' };

export interface AccountSession {
  sub: string;
  /** Issued at (ms): a cookie older than the user's last revoke-sessions is dead. */
  iat: number;
  exp: number;
  /** When the user authenticated for this session (epoch seconds), and how (RFC 8176 amr). */
  authTime: number;
  amr: string[];
  /** The browser session (oidc-provider's session uid) it signed in with. */
  sessionUid?: string;
}

/** The signed-in session of this browser, or undefined (expired, revoked, disabled, or none). */
export function readSession(ctx: Context, user?: User): AccountSession | undefined {
  const session = readJsonCookie<AccountSession>(ctx, SESSION_COOKIE);
  const valid =
    session &&
    typeof session.sub === 'string' &&
    typeof session.iat === 'number' &&
    typeof session.authTime === 'number' &&
    session.exp > Date.now() / 1000;
  if (!valid) return undefined;
  // `latchkey users revoke-sessions` (or disable) ends this page's session too.
  if (user && (user.id !== session.sub || user.disabled || (user.sessionsRevokedAt ?? -1) >= session.iat))
    return undefined;
  return session;
}

export function writeSession(ctx: Context, session: Omit<AccountSession, 'iat' | 'exp'>): void {
  const full: AccountSession = { ...session, iat: Date.now(), exp: Math.floor(Date.now() / 1000) + SESSION_SECONDS };
  ctx.cookies.set(SESSION_COOKIE, Buffer.from(JSON.stringify(full)).toString('base64url'), {
    ...cookieOptions,
    maxAge: SESSION_SECONDS * 1000,
  });
}

export function clearSession(ctx: Context): void {
  ctx.cookies.set(SESSION_COOKIE, null, cookieOptions);
}

/** True when the session's sign-in is at most `seconds` old. */
export function recentlyAuthenticated(session: AccountSession, seconds: number): boolean {
  return Math.floor(Date.now() / 1000) - session.authTime <= seconds;
}

/**
 * Starts an authorization request for the account client, remembering state, PKCE verifier and where to
 * return; `fresh` asks for a new authentication even with a live session (prompt=login, max_age=0).
 */
export function startSignIn(
  ctx: Context,
  issuer: string,
  options: { fresh?: boolean; returnTo?: string; acrValues?: string } = {},
): void {
  const state = randomBytes(16).toString('base64url');
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const returnTo = isAccountPath(options.returnTo) ? options.returnTo : '/account';
  ctx.cookies.set(FLOW_COOKIE, Buffer.from(JSON.stringify({ state, verifier, returnTo })).toString('base64url'), {
    ...cookieOptions,
    maxAge: 600_000,
  });
  const params = new URLSearchParams({
    client_id: ACCOUNT_CLIENT_ID,
    response_type: 'code',
    scope: 'openid',
    redirect_uri: accountRedirectUri(issuer),
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...(options.fresh ? { prompt: 'login', max_age: '0' } : {}),
    ...(options.acrValues ? { acr_values: options.acrValues } : {}),
  });
  ctx.redirect(`/auth?${params.toString()}`);
}

/** Only our own pages may be returned to after a sign-in (no open redirect). */
function isAccountPath(path: unknown): path is string {
  return (
    typeof path === 'string' &&
    !path.includes('..') &&
    /^\/account(\/[A-Za-z0-9/_.-]*)?(\?[A-Za-z0-9=&%_.-]*)?$/.test(path)
  );
}

/** The pending sign-in of this browser (state, PKCE verifier, where to return), consumed. */
export function takeFlow(ctx: Context): { state: string; verifier: string; returnTo: string } | undefined {
  const flow = readJsonCookie<{ state: string; verifier: string; returnTo?: string }>(ctx, FLOW_COOKIE);
  ctx.cookies.set(FLOW_COOKIE, null, cookieOptions);
  return flow ? { ...flow, returnTo: isAccountPath(flow.returnTo) ? flow.returnTo : '/account' } : undefined;
}

/**
 * Redeems an authorization code issued to the account client with its PKCE verifier; returns who signed
 * in, when and how, or undefined for a code that is unknown, used, foreign or fails PKCE.
 */
export async function redeemCode(
  provider: Provider,
  issuer: string,
  value: string,
  verifier: string,
): Promise<Omit<AccountSession, 'iat' | 'exp'> | undefined> {
  if (!value) return undefined;
  const code = await provider.AuthorizationCode.find(value);
  if (
    !code ||
    (code as { consumed?: number }).consumed ||
    code.clientId !== ACCOUNT_CLIENT_ID ||
    code.redirectUri !== accountRedirectUri(issuer)
  )
    return undefined;
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  if (!code.codeChallenge || !safeEqual(challenge, code.codeChallenge)) return undefined;
  try {
    await code.consume();
  } catch (error) {
    // Another request redeemed it first (the store answered the race as a replay).
    if (error instanceof errors.InvalidGrant) return undefined;
    throw error;
  }
  return {
    sub: code.accountId!,
    authTime: code.authTime ?? Math.floor(Date.now() / 1000),
    amr: code.amr ?? [],
    sessionUid: code.sessionUid,
  };
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

export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
