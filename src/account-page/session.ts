// The account page's own session: the built-in client `latchkey-account` signing in through our
// authorization endpoint (oidc/first-party.ts, shared with the admin console), kept in a short signed
// cookie under /account so that sensitive changes can ask for a recent sign-in.
import type { Context } from 'koa';
import type { Provider } from 'oidc-provider';
import { FirstPartySignIn, type FirstPartySession, type SignedInAs, type SignInOptions } from '../oidc/first-party.js';
import { ACCOUNT_CLIENT_ID } from '../policies/index.js';
import type { User } from '../store/users.js';

export { safeEqual } from '../oidc/first-party.js';

export type AccountSession = FirstPartySession;

/** The account page's sign-in: its client, cookies and path. */
export const accountSignIn = new FirstPartySignIn({
  clientId: ACCOUNT_CLIENT_ID,
  clientName: 'Latchkey account',
  path: '/account',
  sessionCookie: 'latchkey_account',
  flowCookie: 'latchkey_account_flow',
  sessionSeconds: 3600,
});

/** The signed-in session of this browser, or undefined (expired, revoked, disabled, or none). */
export function readSession(ctx: Context, user?: User): AccountSession | undefined {
  return accountSignIn.read(ctx, user);
}

export function writeSession(ctx: Context, session: SignedInAs): void {
  accountSignIn.write(ctx, session);
}

export function clearSession(ctx: Context): void {
  accountSignIn.clear(ctx);
}

/** True when the session's sign-in is at most `seconds` old. */
export function recentlyAuthenticated(session: AccountSession, seconds: number): boolean {
  return Math.floor(Date.now() / 1000) - session.authTime <= seconds;
}

/** Starts an authorization request for the account client (`fresh`: prompt=login, max_age=0). */
export function startSignIn(ctx: Context, issuer: string, options: SignInOptions = {}): void {
  accountSignIn.start(ctx, issuer, options);
}

/** The pending sign-in of this browser (state, PKCE verifier, where to return), consumed. */
export function takeFlow(ctx: Context): { state: string; verifier: string; returnTo: string } | undefined {
  return accountSignIn.takeFlow(ctx);
}

/** Redeems an authorization code issued to the account client with its PKCE verifier. */
export function redeemCode(
  provider: Provider,
  issuer: string,
  value: string,
  verifier: string,
): Promise<SignedInAs | undefined> {
  return accountSignIn.redeem(provider, issuer, value, verifier);
}
