// The admin API at /admin/api/v1: JSON over the main listener, bearer tokens from the client-credentials
// grant (admin clients) or break-glass API tokens. Each request goes: problem details around everything →
// per-IP limit (before any token check) → the route's scope → per-caller limit → body and query, strictly
// parsed (unknown fields, wrong types, NUL bytes and oversized bodies refused, nothing changed) → the
// administration service, which audits the change with the caller as actor.
import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import { z } from 'zod';
import { recordChange, type AdminOrigin, type AuditPort } from '../admin/context.js';
import type { AdminApiCaller, AdminApiState, AdminBearerVerifier } from '../http/admin-auth.js';
import { requireAdminApiScope } from '../http/admin-auth.js';
import { parseRequest, readJsonBody } from '../http/json-body.js';
import { perIpRateLimit, rateLimitBy, type RequestLimit } from '../http/rate-limit.js';
import compose from 'koa-compose';
import { InvalidInputError, isLatchkeyError, LatchkeyError } from '../errors.js';
import type { Logger } from '../log.js';
import type { RateLimitStore } from '../store/rate-limits.js';
import { openApiDocument } from './openapi.js';
import { problemDetails } from './problem.js';
import type { ApiRoute } from './route.js';
import { toApiJson } from './json.js';

export const ADMIN_API_PREFIX = '/admin/api/v1';
const DEFAULT_LIMIT_BYTES = 64 * 1024;

export interface AdminApiDeps {
  routes: readonly ApiRoute[];
  /** Where refused attempts of a known caller are recorded (a missing scope, an escalation). */
  audit: AuditPort;
  verifier: AdminBearerVerifier;
  rateLimits: RateLimitStore;
  limit: RequestLimit;
  issuer: string;
  log: Logger;
}

/**
 * Everything under /admin/api/v1: the routes, with problem details for every refusal (an unknown path or
 * method included); other paths pass through untouched.
 */
export function adminApi(deps: AdminApiDeps): Middleware {
  const router = adminApiRouter(deps);
  const handle = compose([
    problemDetails(deps.log),
    perIpRateLimit(deps.rateLimits, 'admin-api', deps.limit),
    router.routes() as unknown as Middleware,
    router.allowedMethods({
      throw: true,
      methodNotAllowed: () =>
        new LatchkeyError('ERR_METHOD_NOT_ALLOWED', 'this operation does not exist for this path', { status: 405 }),
      notImplemented: () =>
        new LatchkeyError('ERR_METHOD_NOT_ALLOWED', 'this method is not used by the admin API', { status: 405 }),
    }) as unknown as Middleware,
  ]);
  // Never passed on: what no route answers is a 404 problem, not the next handler's page.
  const end = async () => {};
  return (ctx, next) =>
    ctx.path === ADMIN_API_PREFIX || ctx.path.startsWith(`${ADMIN_API_PREFIX}/`) ? handle(ctx, end) : next();
}

/** The router of the admin API's operations (and the OpenAPI document), from the route table. */
export function adminApiRouter(deps: AdminApiDeps): Router {
  const router = new Router({ prefix: ADMIN_API_PREFIX });
  const document = openApiDocument(deps.routes, deps.issuer);
  router.get('/openapi.json', (ctx) => {
    ctx.body = document;
  });
  for (const definition of deps.routes) {
    router[definition.method](
      definition.path,
      auditRefusals(deps.audit),
      requireAdminApiScope(deps.verifier, definition.scope),
      // Each caller's own budget, after the token check (the per-IP one ran before it).
      rateLimitBy(deps.rateLimits, 'admin-api', deps.limit, (ctx) => {
        const { actor } = (ctx.state as AdminApiState).adminCaller;
        return { key: `caller:${actor}`, who: actor, detail: { actor } };
      }),
      handler(definition),
    );
  }
  return router;
}

function handler(definition: ApiRoute): Middleware {
  return async (ctx) => {
    const caller = (ctx.state as AdminApiState).adminCaller;
    const params = pathParams(ctx);
    const body = definition.body
      ? parseRequest(
          definition.body,
          checkInput(await readJsonBody(ctx, { limitBytes: definition.limitBytes ?? DEFAULT_LIMIT_BYTES })),
        )
      : await noBody(ctx);
    const query = parseRequest(definition.query ?? z.strictObject({}), checkInput(singleValued(ctx)));
    const result = await definition.handle({
      params,
      body,
      query,
      origin: originOf(ctx, caller),
      ctx,
    });
    ctx.status = definition.status ?? 200;
    if (ctx.status !== 204) ctx.body = toApiJson(result);
  };
}

/**
 * Writes an audit record when an authenticated caller is refused (403: a scope it lacks, an escalation),
 * so that a token probing beyond its scopes shows in the audit log, not only in the server log.
 */
function auditRefusals(audit: AuditPort): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      const caller = (ctx.state as Partial<AdminApiState>).adminCaller;
      if (caller && isLatchkeyError(error) && error.status === 403) {
        const reasons = [error.code, `${ctx.method} ${ctx.path}`];
        await recordChange(audit, originOf(ctx, caller), 'admin.api.refused', { reasons }, 'failure');
      }
      throw error;
    }
  };
}

/** The caller as the services see it: its actor for the audit log, and the scopes it may hand out. */
function originOf(ctx: Context, caller: AdminApiCaller): AdminOrigin {
  return { actor: caller.actor, ip: ctx.ip, userAgent: ctx.get('user-agent') || null, grants: caller.scopes };
}

/** A route without a body refuses one, so a client does not believe fields were applied. */
async function noBody(ctx: Context): Promise<undefined> {
  if ((ctx.request.length ?? 0) > 0 || ctx.get('transfer-encoding')) {
    throw new InvalidInputError('ERR_REQUEST_UNEXPECTED_BODY', `${ctx.method} ${ctx.path} takes no request body`);
  }
  return undefined;
}

/** The query string with each parameter once (a repeated one is refused: which would win is unclear). */
function singleValued(ctx: Context): Record<string, string> {
  const query: Record<string, string> = {};
  for (const [key, value] of Object.entries(ctx.query)) {
    if (Array.isArray(value))
      throw new InvalidInputError('ERR_REQUEST_INVALID_FIELD', `query parameter "${key}" is given more than once`, {
        field: key,
      });
    if (value !== undefined) query[key] = value;
  }
  return query;
}

/** How deep a request body may nest (the deepest real body, a client's JWKS, has four levels). */
const MAX_DEPTH = 16;
/** Longest path parameter accepted (ids, usernames, serials: the longest column is 255). */
const MAX_PARAM_LENGTH = 255;

/**
 * Refuses input no field needs before anything reads it: a NUL byte anywhere (PostgreSQL cannot store
 * it), nesting deeper than MAX_DEPTH (walked without recursion, so no depth can exhaust the stack).
 */
function checkInput<T>(value: T): T {
  const pending: Array<{ value: unknown; path: string; depth: number }> = [{ value, path: '', depth: 0 }];
  while (pending.length > 0) {
    const item = pending.pop()!;
    if (typeof item.value === 'string' && item.value.includes('\u0000')) {
      const field = item.path || '(body)';
      throw new InvalidInputError('ERR_REQUEST_INVALID_FIELD', `field "${field}" contains a NUL byte`, { field });
    }
    if (item.value === null || typeof item.value !== 'object') continue;
    if (item.depth >= MAX_DEPTH) {
      throw new InvalidInputError('ERR_REQUEST_TOO_DEEP', `the request nests deeper than ${MAX_DEPTH} levels`);
    }
    for (const [key, inner] of Object.entries(item.value)) {
      if (key.includes('\u0000'))
        throw new InvalidInputError('ERR_REQUEST_INVALID_FIELD', 'a field name contains a NUL byte');
      pending.push({ value: inner, path: item.path ? `${item.path}.${key}` : key, depth: item.depth + 1 });
    }
  }
  return value;
}

/** The path parameters, refused when one holds a NUL or control character or is longer than any id. */
function pathParams(ctx: Context): Record<string, string> {
  const params = ctx.params as Record<string, string>;
  for (const [name, value] of Object.entries(params)) {
    if (value.length > MAX_PARAM_LENGTH || /[\u0000-\u001f\u007f]/.test(value)) {
      throw new InvalidInputError(
        'ERR_REQUEST_INVALID_FIELD',
        `the path parameter ${name} must be at most ${MAX_PARAM_LENGTH} characters without control characters`,
        { field: name },
      );
    }
  }
  return params;
}
