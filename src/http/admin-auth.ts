// Authentication of the admin API: a bearer token (RFC 6750) created with `latchkey api-tokens create`,
// holding the scope the route needs. No cookies, so no CSRF; a missing or unusable token is 401 with a
// WWW-Authenticate challenge, a token without the scope 403. The token's name becomes the audit actor.
import type { Middleware } from 'koa';
import { AuthenticationError, ForbiddenError } from '../errors.js';

/** Scopes an admin API token can hold; each route needs one. */
export const ADMIN_SCOPES = {
  /** POST /admin/scep/challenges: one-time SCEP challenges for users. */
  'scep:challenges': 'create one-time SCEP challenges',
} as const;

export type AdminScope = keyof typeof ADMIN_SCOPES;

/** The token check the middleware calls (AdminTokenRepository implements it). */
export interface AdminTokenVerifier {
  authenticate(token: string, now: number): Promise<{ id: string; name: string; scopes: string[] } | undefined>;
}

/** State the middleware leaves for the route: who called, for the audit log. */
export interface AdminCaller {
  adminToken: { id: string; name: string };
}

/** Refuses the request unless it carries a usable bearer token holding `scope`. */
export function requireAdminScope(verifier: AdminTokenVerifier, scope: AdminScope): Middleware {
  return async (ctx, next) => {
    const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(ctx.get('authorization'));
    if (!match) {
      ctx.set('WWW-Authenticate', `Bearer realm="latchkey-admin", scope="${scope}"`);
      throw new AuthenticationError(
        'ERR_ADMIN_TOKEN_MISSING',
        'this endpoint needs an admin API token (Authorization: Bearer)',
      );
    }
    const token = await verifier.authenticate(match[1]!, Date.now());
    if (!token) {
      ctx.set('WWW-Authenticate', `Bearer realm="latchkey-admin", error="invalid_token"`);
      throw new AuthenticationError('ERR_ADMIN_TOKEN_INVALID', 'the admin API token is unknown, expired or revoked');
    }
    if (!token.scopes.includes(scope)) {
      ctx.set('WWW-Authenticate', `Bearer realm="latchkey-admin", error="insufficient_scope", scope="${scope}"`);
      throw new ForbiddenError('ERR_ADMIN_TOKEN_SCOPE', `the admin API token lacks the scope ${scope}`);
    }
    (ctx.state as AdminCaller).adminToken = { id: token.id, name: token.name };
    await next();
  };
}
