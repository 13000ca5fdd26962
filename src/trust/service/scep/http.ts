// HTTP edges of SCEP. <path>/<profile> (also .../pkiclient.exe, which some clients append) answers GET
// ?operation=GetCACaps | GetCACert | PKIOperation&message=<base64> and POST ?operation=PKIOperation with the
// DER pkiMessage as body (RFC 8894 §4), on the main listener and, when configured, on a plain-HTTP
// listener that serves nothing else. POST /admin/scep/challenges (main listener only) hands one-time
// challenges to an MDM holding an admin API token with the scep:challenges scope. No cookies anywhere, so
// no CSRF; refusals inside a readable request are CertReps (HTTP 200), everything else JSON.
import Router from '@koa/router';
import Koa, { type Context, type Middleware } from 'koa';
import { z } from 'zod';
import { type AdminCaller, type AdminTokenVerifier, requireAdminScope } from '../../../http/admin-auth.js';
import { errorHandler } from '../../../http/errors.js';
import { parseRequest, readJsonBody } from '../../../http/json-body.js';
import { perIpRateLimit, type RequestLimit } from '../../../http/rate-limit.js';
import { LatchkeyError, NotFoundError } from '../../../errors.js';
import { securityHeaders } from '../../../http/security-headers.js';
import type { Logger } from '../../../log.js';
import type { RateLimitStore } from '../../../store/rate-limits.js';
import { ScepMessageError } from '../../scep/errors.js';
import type { Origin } from '../context.js';
import type { ScepService } from './index.js';

/** Largest pkiMessage accepted (a 4096-bit signer with a chain fits in a fraction of it). */
export const MAX_PKI_MESSAGE_BYTES = 64 * 1024;

export interface ScepHttpDeps {
  service: ScepService;
  /** The URL path profiles live under, e.g. "/scep". */
  path: string;
  rateLimits: RateLimitStore;
  limit: RequestLimit;
  log: Logger;
}

const challengeRequestSchema = z.strictObject({
  /** Username or email. */
  user: z
    .string()
    .min(1)
    .max(320)
    .regex(/^[^\p{Cc}]*$/u, 'must not contain control characters'),
  profile: z.string().min(1).max(64).optional(),
  ttl_seconds: z.number().int().positive().optional(),
});

/** The SCEP endpoint: GetCACaps, GetCACert and PKIOperation for every profile. */
export function scepRouter(deps: ScepHttpDeps): Router {
  const router = new Router();
  const api = errorHandler(deps.log, { json: true });
  const limit = perIpRateLimit(deps.rateLimits, 'scep-pki-operation', deps.limit);
  const paths = [`${deps.path}/:profile`, `${deps.path}/:profile/pkiclient.exe`];
  router.get(paths, api, async (ctx) => {
    const profile = ctx.params.profile!;
    switch (operation(ctx)) {
      case 'GetCACaps':
        ctx.type = 'text/plain';
        ctx.body = deps.service.capabilities(profile);
        return;
      case 'GetCACert':
        ctx.type = 'application/x-x509-ca-ra-cert';
        ctx.body = Buffer.from(await deps.service.caCertificates(profile));
        return;
      case 'PKIOperation':
        await limit(ctx, async () => {
          const der = await unreadableAudited(ctx, deps.service, profile, () => decodeBase64Message(ctx.query.message));
          await answerPkiOperation(ctx, deps.service, profile, der);
        });
        return;
    }
  });
  router.post(paths, api, limit, async (ctx) => {
    if (operation(ctx) !== 'PKIOperation') {
      throw new ScepMessageError('ERR_SCEP_OPERATION', 'POST is only for operation=PKIOperation');
    }
    const profile = ctx.params.profile!;
    const der = await unreadableAudited(ctx, deps.service, profile, () => readMessageBody(ctx));
    await answerPkiOperation(ctx, deps.service, profile, der);
  });
  return router;
}

/**
 * Refuses (by throwing) a challenge for `login` that the caller holding `scopes` may not get: a device
 * enrolled for an administrator opens the admin console, so that takes latchkey.admins.manage, as it does on
 * the admin API's own route (the admin services implement it).
 */
export type ChallengeGuard = (
  login: string,
  caller: Origin & { actor: string; scopes: readonly string[] },
) => Promise<void>;

/** The admin API route for one-time challenges (main listener only). */
export function scepAdminRouter(deps: {
  service: ScepService;
  adminTokens: AdminTokenVerifier;
  mayChallenge: ChallengeGuard;
  log: Logger;
}): Router {
  const router = new Router();
  const api = errorHandler(deps.log, { json: true });
  router.post('/admin/scep/challenges', api, requireAdminScope(deps.adminTokens, 'scep:challenges'), async (ctx) => {
    const request = parseRequest(challengeRequestSchema, await readJsonBody(ctx, { limitBytes: 4096 }));
    const caller = (ctx.state as AdminCaller).adminToken;
    const asked = origin(ctx, `api:${caller.name}`);
    await deps.mayChallenge(request.user, { ...asked, scopes: caller.scopes });
    const profile = request.profile ?? deps.service.defaultProfile();
    const created = await deps.service.createChallenge(request.user, profile, {
      ttlSeconds: request.ttl_seconds,
      ...asked,
    });
    ctx.status = 201;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = {
      challenge: created.challenge,
      user: created.username,
      profile: created.profile,
      expires_at: created.expiresAt.toISOString(),
    };
  });
  return router;
}

/**
 * The Koa app of the plain-HTTP SCEP listener: the SCEP routes after `before` (forwarded-header handling),
 * everything else a JSON 404.
 */
export function scepPlainHttpApp(deps: ScepHttpDeps, options: { proxy: boolean; before: Middleware[] }): Koa {
  const koa = new Koa({ proxy: options.proxy });
  for (const middleware of options.before) koa.use(middleware);
  koa.use(errorHandler(deps.log, { json: true }));
  koa.use(securityHeaders());
  koa.use(async (ctx, next) => {
    await next();
    if (ctx.status === 404 && ctx.body === undefined) {
      throw new NotFoundError('ERR_NOT_FOUND', 'only SCEP is served on this listener');
    }
  });
  const router = scepRouter(deps);
  koa.use(router.routes());
  koa.use(router.allowedMethods());
  return koa;
}

type Operation = 'GetCACaps' | 'GetCACert' | 'PKIOperation';

function operation(ctx: Context): Operation {
  const value = ctx.query.operation;
  if (value === 'GetCACaps' || value === 'GetCACert' || value === 'PKIOperation') return value;
  const shown = typeof value === 'string' ? `"${value.slice(0, 40)}"` : Array.isArray(value) ? 'repeated' : 'missing';
  throw new ScepMessageError(
    'ERR_SCEP_OPERATION',
    `the operation parameter is ${shown}: expected GetCACaps, GetCACert or PKIOperation`,
  );
}

/** Reads the message with `read`; input that is not even base64 or DER is audited like a bad pkiMessage. */
async function unreadableAudited(
  ctx: Context,
  service: ScepService,
  profile: string,
  read: () => Uint8Array | Promise<Uint8Array>,
): Promise<Uint8Array> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof ScepMessageError) await service.refuseUnreadable(profile, error, origin(ctx, 'device'));
    throw error;
  }
}

async function answerPkiOperation(ctx: Context, service: ScepService, profile: string, der: Uint8Array): Promise<void> {
  const answer = await service.pkiOperation(profile, der, origin(ctx, 'device'));
  ctx.set('Cache-Control', 'no-store');
  ctx.type = 'application/x-pki-message';
  ctx.body = Buffer.from(answer.der);
}

/**
 * The GET message parameter: base64 of the DER pkiMessage, URL-encoded. A "+" a client forgot to encode
 * arrives as a space (form decoding), so spaces are read as "+"; line breaks are ignored.
 */
function decodeBase64Message(value: unknown): Uint8Array {
  if (typeof value !== 'string' || value.length === 0) {
    throw new ScepMessageError('ERR_SCEP_MALFORMED', 'PKIOperation needs the message parameter (base64 pkiMessage)');
  }
  if (value.length > (MAX_PKI_MESSAGE_BYTES * 4) / 3 + 4) {
    throw new ScepMessageError('ERR_SCEP_TOO_LARGE', `the pkiMessage is larger than ${MAX_PKI_MESSAGE_BYTES} bytes`);
  }
  return base64(value.replace(/ /g, '+'));
}

/** The POST body: DER (application/x-pki-message), or base64 text from clients that send that. */
async function readMessageBody(ctx: Context): Promise<Uint8Array> {
  const declared = ctx.request.length;
  if (declared !== undefined && declared > MAX_PKI_MESSAGE_BYTES) throw tooLarge(ctx);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += (chunk as Buffer).length;
    if (size > MAX_PKI_MESSAGE_BYTES) throw tooLarge(ctx);
    chunks.push(chunk as Buffer);
  }
  const body = Buffer.concat(chunks);
  if (body.length === 0) throw new ScepMessageError('ERR_SCEP_MALFORMED', 'the PKIOperation body is empty');
  // A DER pkiMessage starts with a SEQUENCE; base64 text never does.
  return body[0] === 0x30 ? new Uint8Array(body) : base64(body.toString('latin1'));
}

function base64(text: string): Uint8Array {
  const compact = text
    .replace(/[\r\n\t]/g, '')
    .replace(/-/g, '+')
    .replace(/_/g, '/');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) {
    throw new ScepMessageError('ERR_SCEP_MALFORMED', 'the pkiMessage is neither DER nor base64');
  }
  return new Uint8Array(Buffer.from(compact, 'base64'));
}

function tooLarge(ctx: Context): LatchkeyError {
  // The rest of the body is not read: closing the connection keeps it from being taken as the next request.
  ctx.set('Connection', 'close');
  return new LatchkeyError('ERR_SCEP_TOO_LARGE', `the pkiMessage is larger than ${MAX_PKI_MESSAGE_BYTES} bytes`, {
    status: 413,
  });
}

function origin(ctx: Context, actor: string): Origin & { actor: string } {
  return { actor, ip: ctx.ip, userAgent: ctx.get('user-agent') || null };
}
