// /admin: the admin console, server-rendered like the sign-in pages (no framework, no script, the strict
// CSP, a CSRF token in every form). It signs in through Latchkey itself as the built-in client
// `latchkey-console`, which the console rule (policies/console.ts) admits only for admin-group members
// with a device proof; the callback and every request check that again. Each page group is one file.
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context } from 'koa';
import { LatchkeyError } from '../errors.js';
import { setPageCsp } from '../http/security-headers.js';
import { safeEqual } from '../oidc/first-party.js';
import { errorPage } from '../views/pages.js';
import { auditRoutes } from './audit.js';
import { clientRoutes } from './clients.js';
import type { ConsoleDeps, ConsoleRequest } from './deps.js';
import { deviceRoutes } from './devices.js';
import { groupRoutes } from './groups.js';
import { keyRoutes } from './keys.js';
import { overviewRoutes } from './overview.js';
import { passkeyRoutes } from './passkeys.js';
import { policyRoutes } from './policies.js';
import {
  checkAdmin,
  consoleSignIn,
  deviceRefusal,
  ensureConsoleClient,
  redeemConsoleCode,
  refusalFor,
  startConsoleSignIn,
} from './session.js';
import { userRoutes } from './users.js';
import { whatIfRoutes } from './what-if.js';

type Handler = (request: ConsoleRequest) => Promise<void>;

/** How a page group adds its routes: GET pages, and POST actions that show `back` again on a LatchkeyError. */
export interface ConsoleRoutes {
  get(path: string, handler: Handler): void;
  post(path: string, handler: Handler, back: (request: ConsoleRequest, error: string) => Promise<void>): void;
}

/** Form size limits: ordinary forms, and the policy editor's (a policy set is at most 256 KiB). */
const FORM_LIMIT = '16kb';
const POLICY_FORM_LIMIT = '300kb';

/** Registers the console client and builds the /admin router. */
export async function openConsole(deps: ConsoleDeps): Promise<Router> {
  await ensureConsoleClient(deps.clients, deps.issuer);
  return consoleRouter(deps);
}

export function consoleRouter(deps: ConsoleDeps): Router {
  const router = new Router({ prefix: '/admin' });
  const small = bodyParser({ enableTypes: ['form'], formLimit: FORM_LIMIT });
  const large = bodyParser({ enableTypes: ['form'], formLimit: POLICY_FORM_LIMIT });

  router.get('/callback', (ctx) => callback(ctx, deps));
  router.post('/logout', small, async (ctx) => {
    const checked = await checkAdmin(ctx, deps.users, deps.adminGroup, deps.sessionProofs);
    const token = (ctx.request.body as Record<string, unknown> | undefined)?.csrf;
    if (checked.ok && deps.csrf.verify(csrfSubject(checked.user.id), token)) consoleSignIn.clear(ctx);
    ctx.status = 303;
    ctx.redirect('/session/end');
  });

  const routes: ConsoleRoutes = {
    get(path, handler) {
      router.get(path, async (ctx) => {
        const request = await admitted(ctx, deps, false);
        if (request) await handler(request);
      });
    },
    post(path, handler, back) {
      router.post(path, path === '/policies' || path === '/what-if' ? large : small, async (ctx) => {
        const request = await admitted(ctx, deps, true);
        if (!request) return;
        try {
          await handler(request);
        } catch (error) {
          if (!(error instanceof LatchkeyError)) throw error;
          deps.log.info({ code: error.code, path: ctx.path }, 'console action refused');
          ctx.status = error.status;
          await back(
            request,
            error.status >= 500 ? 'The server could not do that just now: try again.' : error.message,
          );
        }
      });
    },
  };
  overviewRoutes(routes, deps);
  userRoutes(routes, deps);
  groupRoutes(routes, deps);
  clientRoutes(routes, deps);
  deviceRoutes(routes, deps);
  passkeyRoutes(routes, deps);
  keyRoutes(routes, deps);
  policyRoutes(routes, deps);
  whatIfRoutes(routes, deps);
  auditRoutes(routes, deps);
  return router;
}

function csrfSubject(userId: string): string {
  return `console:${userId}`;
}

/**
 * The request of a signed-in administrator, or undefined once the browser was sent to sign in or refused.
 * A POST must carry this administrator's CSRF token.
 */
async function admitted(ctx: Context, deps: ConsoleDeps, post: boolean): Promise<ConsoleRequest | undefined> {
  const checked = await checkAdmin(ctx, deps.users, deps.adminGroup, deps.sessionProofs);
  if (!checked.ok) {
    if (checked.reason === 'signed_out') {
      startConsoleSignIn(ctx, deps.issuer, post ? undefined : ctx.originalUrl);
      return undefined;
    }
    consoleSignIn.clear(ctx);
    refuse(ctx, checked.message, 403);
    return undefined;
  }
  const { user } = checked;
  const body = (ctx.request.body ?? {}) as Record<string, unknown>;
  if (post && !deps.csrf.verify(csrfSubject(user.id), body.csrf)) {
    refuse(ctx, 'This form has expired. Open the page again and repeat the change.', 403);
    return undefined;
  }
  const form: Record<string, string> = {};
  for (const [key, value] of Object.entries(body)) {
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    if (typeof last === 'string') form[key] = last;
  }
  const csrf = deps.csrf.issue(csrfSubject(user.id));
  return {
    ctx,
    admin: user,
    origin: { actor: `admin:${user.username}`, ip: ctx.ip, userAgent: ctx.get('user-agent') || null },
    form,
    chrome: (extra = {}) => ({ admin: user.username, csrf, ...extra }),
  };
}

/** The end of the console's sign-in: redeem the code, check the administrator again, keep the session. */
async function callback(ctx: Context, deps: ConsoleDeps): Promise<void> {
  const expired = 'This sign-in link has expired. Open the admin console again.';
  const flow = consoleSignIn.takeFlow(ctx);
  if (!flow || !safeEqual(flow.state, String(ctx.query.state ?? ''))) return refuse(ctx, expired);
  if (ctx.query.error) return refuse(ctx, String(ctx.query.error_description ?? ctx.query.error), 403);
  const signed = await redeemConsoleCode(deps.oidc.provider, deps.issuer, String(ctx.query.code ?? ''), flow.verifier);
  if (!signed) return refuse(ctx, expired);
  const user = await deps.users.findById(signed.sub);
  const refusal = user
    ? ((await refusalFor(deps.users, user, signed, deps.adminGroup)) ??
      (await deviceRefusal(deps.sessionProofs, signed.sessionUid, user)))
    : 'This account no longer exists.';
  if (refusal) {
    deps.log.warn({ sub: signed.sub, acr: signed.acr }, 'console sign-in refused at the callback');
    return refuse(ctx, refusal, 403);
  }
  consoleSignIn.write(ctx, signed);
  ctx.redirect(flow.returnTo);
}

function refuse(ctx: Context, message: string, status = 400): void {
  setPageCsp(ctx);
  ctx.status = status;
  ctx.type = 'html';
  ctx.body = errorPage('Admin console unavailable', message);
}
