// Who is using the console: the built-in client `latchkey-console` signs in through our own authorization
// endpoint (oidc/first-party.ts), where the console rule admits only admin-group members with a device
// proof. The callback checks both again, and so does every request after it (defence in depth): a
// disabled user, one removed from the group or a revoked session loses the console at the next click.
import type { Context } from 'koa';
import type { Provider } from 'oidc-provider';
import { ACR_DEVICE } from '../oidc/acr.js';
import { ensureFirstPartyClient, FirstPartySignIn, type SignedInAs } from '../oidc/first-party.js';
import { CONSOLE_CLIENT_ID } from '../policies/index.js';
import { provenDevice } from '../interactions/proofs.js';
import type { SessionProofService } from '../interactions/session-proofs.js';
import type { ClientRepository } from '../store/clients.js';
import type { User, UserRepository } from '../store/users.js';

/** The console's sign-in: its client, cookies (under /admin only) and a short session. */
export const consoleSignIn = new FirstPartySignIn({
  clientId: CONSOLE_CLIENT_ID,
  clientName: 'Latchkey admin console',
  path: '/admin',
  sessionCookie: 'latchkey_console',
  flowCookie: 'latchkey_console_flow',
  sessionSeconds: 1800,
});

/** Registers (or re-points, when the issuer changed) the built-in console client. */
export async function ensureConsoleClient(clients: ClientRepository, issuer: string): Promise<void> {
  const { clientId, clientName } = consoleSignIn.settings;
  await ensureFirstPartyClient(clients, { clientId, name: clientName, redirectUri: consoleSignIn.redirectUri(issuer) });
}

/** RFC 8176 amr values every device proof carries (certificate: pop+swk; device-bound passkey: hwk or swk). */
const DEVICE_AMR = ['swk', 'hwk'];

/**
 * True when the sign-in proved a trusted device of the user's: our acr says so (only a device proof earns
 * it), and the amr holds a key-based proof as any device proof's does.
 */
export function provedDevice(signed: Pick<SignedInAs, 'acr' | 'amr'>): boolean {
  return signed.acr === ACR_DEVICE && signed.amr.some((value) => DEVICE_AMR.includes(value));
}

export type AdminCheck =
  { ok: true; user: User } | { ok: false; reason: 'signed_out' } | { ok: false; reason: 'refused'; message: string };

/**
 * Whether this browser's console session belongs to an enabled member of `adminGroup` who proved a
 * device; every console request asks.
 */
export async function checkAdmin(
  ctx: Context,
  users: Pick<UserRepository, 'findById' | 'groupNames'>,
  adminGroup: string,
  sessions: ConsoleSessionProofs,
): Promise<AdminCheck> {
  const unverified = consoleSignIn.read(ctx);
  const user = unverified ? await users.findById(unverified.sub) : undefined;
  const session = user ? consoleSignIn.read(ctx, user) : undefined;
  if (!session || !user) return { ok: false, reason: 'signed_out' };
  const refusal =
    (await refusalFor(users, user, session, adminGroup)) ?? (await deviceRefusal(sessions, session.sessionUid, user));
  return refusal ? { ok: false, reason: 'refused', message: refusal } : { ok: true, user };
}

/** What a signed-in session proved, re-checked now (SessionProofService). */
export type ConsoleSessionProofs = Pick<SessionProofService, 'current'>;

/**
 * Why the device this console session was signed in with no longer counts (revoked, its certificate revoked
 * or expired, distribution off), or undefined while it stands: the console keeps the product's promise
 * for as long as the session lasts, not only at sign-in. A session with no recorded device proof fails closed.
 */
export async function deviceRefusal(
  sessions: ConsoleSessionProofs,
  sessionUid: string | undefined,
  user: User,
): Promise<string | undefined> {
  const { proofs } = await sessions.current(sessionUid, user.id, Math.floor(Date.now() / 1000));
  return provenDevice(proofs)
    ? undefined
    : 'The trusted device this console session was signed in with no longer counts (revoked or expired): sign in again from a trusted device.';
}

/** Why `user` signed in as `signed` may not use the console, or undefined when they may. */
export async function refusalFor(
  users: Pick<UserRepository, 'groupNames'>,
  user: User,
  signed: Pick<SignedInAs, 'acr' | 'amr'>,
  adminGroup: string,
): Promise<string | undefined> {
  if (user.disabled) return 'This account is disabled.';
  if (!(await users.groupNames(user.id)).includes(adminGroup))
    return `The admin console is only for members of the group ${adminGroup}.`;
  if (!provedDevice(signed))
    return 'The admin console needs a sign-in from a trusted device (a device certificate or a device-bound passkey).';
  return undefined;
}

/** Starts the console's sign-in, asking for a device-proven class of authentication. */
export function startConsoleSignIn(ctx: Context, issuer: string, returnTo?: string): void {
  consoleSignIn.start(ctx, issuer, { returnTo, acrValues: ACR_DEVICE });
}

/** Redeems the console's authorization code. */
export function redeemConsoleCode(
  provider: Provider,
  issuer: string,
  code: string,
  verifier: string,
): Promise<SignedInAs | undefined> {
  return consoleSignIn.redeem(provider, issuer, code, verifier);
}
