// Latchkey's own pages (the account page, the admin console) sign in through our authorization endpoint as
// built-in first-party clients, so the same policies and built-in rules decide who gets in: authorization
// code + PKCE, the code redeemed in-process through oidc-provider's model, then a short signed cookie
// holding who signed in, when, and with what (amr, acr). One implementation, parameterised per page.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';
import { errors, type Provider } from 'oidc-provider';
import type { ClientRepository } from '../store/clients.js';
import type { User } from '../store/users.js';

/** What distinguishes one built-in page's sign-in from another's. */
export interface FirstPartySettings {
  clientId: string;
  /** Shown on the sign-in page ("to continue to ..."). */
  clientName: string;
  /** Where the page lives (`/account`, `/admin`): the cookies' path and the allowed return targets. */
  path: string;
  sessionCookie: string;
  flowCookie: string;
  sessionSeconds: number;
}

export interface FirstPartySession {
  sub: string;
  /** Issued at (ms): a cookie older than the user's last revoke-sessions is dead. */
  iat: number;
  exp: number;
  /** When the user authenticated for this session (epoch seconds), and how (RFC 8176 amr, our acr). */
  authTime: number;
  amr: string[];
  acr?: string;
  /** The browser session (oidc-provider's session uid) it signed in with. */
  sessionUid?: string;
}

export type SignedInAs = Omit<FirstPartySession, 'iat' | 'exp'>;

export interface SignInOptions {
  /** Ask for a new authentication even with a live session (prompt=login, max_age=0). */
  fresh?: boolean;
  returnTo?: string;
  acrValues?: string;
}

/** The sign-in, cookie session and code redemption of one built-in first-party page. */
export class FirstPartySignIn {
  private readonly cookieOptions;

  constructor(readonly settings: FirstPartySettings) {
    this.cookieOptions = { httpOnly: true, secure: true, sameSite: 'lax' as const, signed: true, path: settings.path };
  }

  redirectUri(issuer: string): string {
    return `${issuer}${this.settings.path}/callback`;
  }

  /** The signed-in session of this browser, or undefined (expired, revoked, disabled, or none). */
  read(ctx: Context, user?: User): FirstPartySession | undefined {
    const session = readJsonCookie<FirstPartySession>(ctx, this.settings.sessionCookie);
    const valid =
      session &&
      typeof session.sub === 'string' &&
      typeof session.iat === 'number' &&
      typeof session.authTime === 'number' &&
      Array.isArray(session.amr) &&
      session.exp > Date.now() / 1000;
    if (!valid) return undefined;
    // `latchkey users revoke-sessions` (or disable) ends this page's session too.
    if (user && (user.id !== session.sub || user.disabled || (user.sessionsRevokedAt ?? -1) >= session.iat))
      return undefined;
    return session;
  }

  write(ctx: Context, session: SignedInAs): void {
    const seconds = this.settings.sessionSeconds;
    const full: FirstPartySession = { ...session, iat: Date.now(), exp: Math.floor(Date.now() / 1000) + seconds };
    ctx.cookies.set(this.settings.sessionCookie, Buffer.from(JSON.stringify(full)).toString('base64url'), {
      ...this.cookieOptions,
      maxAge: seconds * 1000,
    });
  }

  clear(ctx: Context): void {
    ctx.cookies.set(this.settings.sessionCookie, null, this.cookieOptions);
  }

  /** Starts an authorization request for this client, remembering state, PKCE verifier and where to return. */
  start(ctx: Context, issuer: string, options: SignInOptions = {}): void {
    const state = randomBytes(16).toString('base64url');
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const returnTo = this.isOwnPath(options.returnTo) ? options.returnTo : this.settings.path;
    ctx.cookies.set(
      this.settings.flowCookie,
      Buffer.from(JSON.stringify({ state, verifier, returnTo })).toString('base64url'),
      { ...this.cookieOptions, maxAge: 600_000 },
    );
    const params = new URLSearchParams({
      client_id: this.settings.clientId,
      response_type: 'code',
      scope: 'openid',
      redirect_uri: this.redirectUri(issuer),
      state,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      ...(options.fresh ? { prompt: 'login', max_age: '0' } : {}),
      ...(options.acrValues ? { acr_values: options.acrValues } : {}),
    });
    ctx.redirect(`/auth?${params.toString()}`);
  }

  /** The pending sign-in of this browser (state, PKCE verifier, where to return), consumed. */
  takeFlow(ctx: Context): { state: string; verifier: string; returnTo: string } | undefined {
    const flow = readJsonCookie<{ state: string; verifier: string; returnTo?: string }>(ctx, this.settings.flowCookie);
    ctx.cookies.set(this.settings.flowCookie, null, this.cookieOptions);
    if (!flow || typeof flow.state !== 'string' || typeof flow.verifier !== 'string') return undefined;
    return { ...flow, returnTo: this.isOwnPath(flow.returnTo) ? flow.returnTo : this.settings.path };
  }

  /**
   * Redeems an authorization code issued to this client with its PKCE verifier; returns who signed in,
   * when and how, or undefined for a code that is unknown, used, foreign or fails PKCE.
   */
  async redeem(provider: Provider, issuer: string, value: string, verifier: string): Promise<SignedInAs | undefined> {
    if (!value) return undefined;
    const code = await provider.AuthorizationCode.find(value);
    if (
      !code ||
      (code as { consumed?: number }).consumed ||
      code.clientId !== this.settings.clientId ||
      code.redirectUri !== this.redirectUri(issuer)
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
      ...(code.acr ? { acr: code.acr } : {}),
      sessionUid: code.sessionUid,
    };
  }

  /** Only this page's own paths may be returned to after a sign-in (no open redirect). */
  private isOwnPath(path: unknown): path is string {
    if (typeof path !== 'string' || path.includes('..') || path.includes('//')) return false;
    const base = this.settings.path;
    if (path !== base && !path.startsWith(`${base}/`) && !path.startsWith(`${base}?`)) return false;
    return /^[A-Za-z0-9/_.-]*(\?[A-Za-z0-9=&%_.+-]*)?$/.test(path);
  }
}

/** Registers (or re-points, when the issuer changed) a built-in first-party client with `redirectUri`. */
export async function ensureFirstPartyClient(
  clients: ClientRepository,
  client: { clientId: string; name: string; redirectUri: string },
): Promise<void> {
  const existing = await clients.find(client.clientId);
  const current = existing?.metadata.redirect_uris as string[] | undefined;
  if (existing && current?.length === 1 && current[0] === client.redirectUri) return;
  if (existing) await clients.remove(client.clientId);
  await clients.add({
    name: client.name,
    kind: 'first_party',
    secret: null,
    metadata: {
      client_id: client.clientId,
      client_name: client.name,
      redirect_uris: [client.redirectUri],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      id_token_signed_response_alg: 'ES256',
    },
  });
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
