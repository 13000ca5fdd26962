// Authentication of the admin APIs: a bearer token (RFC 6750) holding the scope the route needs. No cookies,
// so no CSRF; a missing or unusable token is 401 with a WWW-Authenticate challenge, a token without the scope
// 403. Two checks share the steps: requireAdminScope (static API tokens only, POST /admin/scep/challenges)
// and requireAdminApiScope (/admin/api/v1: admin clients' client-credentials tokens, API tokens as break-glass).
// The admin API scopes are defined here, not in admin/ (admin/scopes.ts re-exports them): the provider and
// this check need them, and admin/ imports interactions/, which imports http/ and oidc/.
import type { Context, Middleware } from 'koa';
import { AuthenticationError, ForbiddenError } from '../errors.js';

/** Every admin API scope, with what it allows (shown by the CLI and in errors). Manage includes read. */
export const ADMIN_API_SCOPES = {
  'latchkey.users.read': 'read users, their groups and sign-in methods',
  'latchkey.users.manage': 'create, change, disable and remove users (includes latchkey.users.read)',
  'latchkey.groups.manage': 'create and remove groups and change their members (not the admin group)',
  'latchkey.admins.manage':
    "change the administrators: the admin console's group (admin.group) and its members' sign-in, identifiers and devices",
  'latchkey.clients.read': 'read OIDC, factor and admin clients (never their secrets)',
  'latchkey.clients.manage':
    'register, change and remove clients, rotate their secrets (includes latchkey.clients.read)',
  'latchkey.devices.read': 'read enrolled devices and their certificates',
  'latchkey.devices.manage': 'revoke devices and issue enrollment (includes latchkey.devices.read)',
  'latchkey.policies.read': 'read the access policies in force',
  'latchkey.policies.manage': 'publish access policies (includes latchkey.policies.read)',
  'latchkey.keys.read': 'read the token signing keys and the device CA',
  'latchkey.keys.manage':
    'rotate and retire signing keys, set up and rotate the device CA and SCEP (includes latchkey.keys.read)',
  'latchkey.audit.read': 'read the audit log',
} as const;

export type AdminApiScope = keyof typeof ADMIN_API_SCOPES;

/** Whether `value` names an admin API scope. */
export function isAdminApiScope(value: string): value is AdminApiScope {
  return Object.hasOwn(ADMIN_API_SCOPES, value);
}

/** Whether scopes `held` allow what `needed` guards: the scope itself, or for a read scope its resource's manage. */
export function grantsScope(held: readonly string[], needed: AdminApiScope): boolean {
  if (held.includes(needed)) return true;
  const read = /^latchkey\.([a-z]+)\.read$/.exec(needed);
  return read !== null && held.includes(`latchkey.${read[1]}.manage`);
}

/** Scopes an admin API token can hold; each route needs one. */
export const ADMIN_SCOPES = {
  /** POST /admin/scep/challenges: one-time SCEP challenges for users. */
  'scep:challenges': 'create one-time SCEP challenges',
  /** The admin API (/admin/api/v1), for a break-glass token when no admin client can be used. */
  ...ADMIN_API_SCOPES,
} as const;

export type AdminScope = keyof typeof ADMIN_SCOPES;

/** The token check the middleware calls (AdminTokenRepository implements it). */
export interface AdminTokenVerifier {
  authenticate(token: string, now: number): Promise<{ id: string; name: string; scopes: string[] } | undefined>;
}

/** State the middleware leaves for the route: who called, for the audit log. */
export interface AdminCaller {
  adminToken: { id: string; name: string; scopes: readonly string[] };
}

/** Who called the admin API: `client:<client_id>` (an admin client) or `token:<name>` (an API token). */
export interface AdminApiCaller {
  /** The audit actor. */
  actor: string;
  /** The admin client whose token it is (absent for an API token). */
  clientId?: string;
  scopes: string[];
}

/** State requireAdminApiScope leaves for the route. */
export interface AdminApiState {
  adminCaller: AdminApiCaller;
}

/**
 * Resolves a bearer token of the admin API to its caller (src/oidc/admin-tokens.ts implements it): undefined
 * when the token is unknown, expired, revoked or no longer an admin's; throws UnavailableError when the store
 * that would know cannot be asked.
 */
export interface AdminBearerVerifier {
  verify(token: string, now: number): Promise<AdminApiCaller | undefined>;
}

/** Refuses the request unless it carries a usable bearer token holding `scope`. */
export function requireAdminScope(verifier: AdminTokenVerifier, scope: AdminScope): Middleware {
  return async (ctx, next) => {
    const token = await verifier.authenticate(bearerToken(ctx, scope), Date.now());
    if (!token) throw invalidToken(ctx);
    if (!token.scopes.includes(scope)) throw insufficientScope(ctx, scope);
    (ctx.state as AdminCaller).adminToken = { id: token.id, name: token.name, scopes: token.scopes };
    await next();
  };
}

/** Refuses an admin API request unless its bearer token stands for a caller granted `scope` (manage grants read). */
export function requireAdminApiScope(verifier: AdminBearerVerifier, scope: AdminApiScope): Middleware {
  return async (ctx, next) => {
    const caller = await verifier.verify(bearerToken(ctx, scope), Date.now());
    if (!caller) throw invalidToken(ctx);
    // Known before the scope check, so that a refusal is audited with who was refused.
    (ctx.state as AdminApiState).adminCaller = caller;
    if (!grantsScope(caller.scopes, scope)) throw insufficientScope(ctx, scope);
    await next();
  };
}

/** The request's bearer token; a request without one is refused with the challenge naming `scope`. */
function bearerToken(ctx: Context, scope: string): string {
  // The scheme name is case-insensitive (RFC 7235 §2.1).
  const match = /^bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(ctx.get('authorization'));
  if (!match) {
    ctx.set('WWW-Authenticate', `Bearer realm="latchkey-admin", scope="${scope}"`);
    throw new AuthenticationError(
      'ERR_ADMIN_TOKEN_MISSING',
      'this endpoint needs an admin API token (Authorization: Bearer)',
    );
  }
  return match[1]!;
}

function invalidToken(ctx: Context): AuthenticationError {
  ctx.set('WWW-Authenticate', `Bearer realm="latchkey-admin", error="invalid_token"`);
  return new AuthenticationError('ERR_ADMIN_TOKEN_INVALID', 'the admin API token is unknown, expired or revoked');
}

function insufficientScope(ctx: Context, scope: string): ForbiddenError {
  ctx.set('WWW-Authenticate', `Bearer realm="latchkey-admin", error="insufficient_scope", scope="${scope}"`);
  return new ForbiddenError('ERR_ADMIN_TOKEN_SCOPE', `the admin API token lacks the scope ${scope}`);
}
