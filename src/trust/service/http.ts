// HTTP edges of device trust. On the main listener: POST /device/enroll and GET /device/crl. On the
// device-check listener (mutual TLS): POST /device/renew and GET /device/check, both authenticated by the
// client certificate of the TLS handshake. API endpoints: JSON in and out, no cookies (so no CSRF), errors
// as { error, error_description }. Each handler: parse → call the service → answer.
import Router from '@koa/router';
import Koa, { type Context } from 'koa';
import { InvalidInputError, NotFoundError } from '../../errors.js';
import type { PresentedCertificate } from '../../http/client-certificate.js';
import { forwardedHeaders } from '../../http/proxy.js';
import { errorHandler } from '../../http/errors.js';
import { parseRequest, readJsonBody } from '../../http/json-body.js';
import { perIpRateLimit, type RequestLimit } from '../../http/rate-limit.js';
import { securityHeaders } from '../../http/security-headers.js';
import type { Logger } from '../../log.js';
import type { RateLimitStore } from '../../store/rate-limits.js';
import { announce, deviceChecked, type DeviceChecked } from '../../signals.js';
import {
  type DeviceTrustService,
  enrollmentRequestSchema,
  type IssuedDevice,
  type Origin,
  renewalRequestSchema,
} from './index.js';

/** Largest enrollment or renewal body: a CSR (at most 16 KiB) with posture fits comfortably. */
export const MAX_DEVICE_REQUEST_BYTES = 32 * 1024;
/** Longest time a verifier may cache the CRL, even when its nextUpdate is further away. */
const MAX_CRL_CACHE_SECONDS = 3600;

export interface DeviceHttpDeps {
  service: DeviceTrustService;
  rateLimits: RateLimitStore;
  limits: { enroll_per_ip: RequestLimit; renew_per_ip: RequestLimit };
  /** The client certificate of a request to the device-check listener (TLS, or a trusted proxy's header). */
  presented: (ctx: Context) => PresentedCertificate;
  /** Proxies in front of the device-check listener, whose forwarded headers are believed. */
  trustedProxies: readonly string[];
  log: Logger;
}

/** Routes for the main listener: POST /device/enroll and GET /device/crl (errors always JSON). */
export function deviceApiRouter(deps: DeviceHttpDeps): Router {
  const router = new Router();
  const api = errorHandler(deps.log, { json: true });
  const limit = perIpRateLimit(deps.rateLimits, 'device-enroll', deps.limits.enroll_per_ip);
  router.post('/device/enroll', api, limit, async (ctx) => {
    const body = await readJsonBody(ctx, { limitBytes: MAX_DEVICE_REQUEST_BYTES });
    const request = parseRequest(enrollmentRequestSchema, body);
    sendIssued(ctx, 201, await deps.service.enroll(request, origin(ctx)));
  });
  router.get(['/device/crl', '/device/crl/:intermediate'], api, async (ctx) => {
    const crl = await deps.service.crl(ctx.params.intermediate);
    if (!crl) throw new NotFoundError('ERR_CRL_NOT_FOUND', 'no CRL is published for that intermediate CA');
    const secondsLeft = Math.floor((crl.nextUpdate.getTime() - Date.now()) / 1000);
    ctx.set('Cache-Control', `public, max-age=${Math.max(0, Math.min(secondsLeft, MAX_CRL_CACHE_SECONDS))}`);
    ctx.set('Last-Modified', crl.thisUpdate.toUTCString());
    ctx.type = 'application/pkix-crl';
    ctx.body = Buffer.from(crl.der);
  });
  return router;
}

/**
 * The Koa app of the device-check listener: POST /device/renew, GET /device/check, then any `extra`
 * routers (the sign-in step); everything else is a JSON 404. It never redirects.
 */
export function deviceCheckApp(deps: DeviceHttpDeps, extra: readonly Router[] = []): Koa {
  const koa = new Koa({ proxy: deps.trustedProxies.length > 0 });
  koa.use(forwardedHeaders(deps.trustedProxies, deps.log));
  koa.use(errorHandler(deps.log, { json: true }));
  koa.use(securityHeaders());
  koa.use(async (ctx, next) => {
    await next();
    // Nothing matched (allowedMethods has already answered 405 for a known path with another method).
    if (ctx.status === 404 && ctx.body === undefined) {
      throw new NotFoundError('ERR_NOT_FOUND', 'no such endpoint on the device-check listener');
    }
  });
  const router = new Router();
  const limit = perIpRateLimit(deps.rateLimits, 'device-renew', deps.limits.renew_per_ip);
  router.post('/device/renew', limit, async (ctx) => {
    const body = await readJsonBody(ctx, { limitBytes: MAX_DEVICE_REQUEST_BYTES, optional: true });
    const request = parseRequest(renewalRequestSchema, body);
    const input = { certificateDer: presentedDer(deps, ctx), csrPem: request.csr };
    sendIssued(ctx, 200, await deps.service.renew(input, origin(ctx)));
  });
  router.get('/device/check', async (ctx) => {
    const result = await deps.service.check(presentedDer(deps, ctx));
    announce<DeviceChecked>(deviceChecked, { source: deps.service, via: 'check_endpoint', status: result.status });
    ctx.set('Cache-Control', 'no-store');
    ctx.body = result;
  });
  for (const routes of [router, ...extra]) {
    koa.use(routes.routes());
    koa.use(routes.allowedMethods());
  }
  return koa;
}

/** DER of the presented client certificate, or null; a malformed proxy header is refused (400). */
function presentedDer(deps: DeviceHttpDeps, ctx: Context): Uint8Array | null {
  const presented = deps.presented(ctx);
  if (presented.kind === 'malformed') {
    throw new InvalidInputError(
      'ERR_CERT_HEADER_MALFORMED',
      `the client-certificate header is malformed: ${presented.reason}`,
    );
  }
  return presented.kind === 'certificate' ? presented.der : null;
}

/** The agent's CertificateResponse (src/agent/client.ts). */
function sendIssued(ctx: Context, status: number, issued: IssuedDevice): void {
  ctx.status = status;
  ctx.set('Cache-Control', 'no-store');
  ctx.body = {
    deviceId: issued.deviceId,
    certificate: issued.certificatePem,
    chain: issued.chainPem,
    notAfter: issued.notAfter.toISOString(),
    deviceCheckUrl: issued.deviceCheckUrl,
  };
}

function origin(ctx: Context): Origin {
  return { actor: 'device', ip: ctx.ip, userAgent: ctx.get('user-agent') || null };
}
