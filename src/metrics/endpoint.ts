// GET /metrics in Prometheus text format, for a scraper that presents the configured bearer token (when one
// is configured). A missing or wrong token is 401 and logged; the token is compared in constant time.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Logger } from '../log.js';
import type { LatchkeyMetrics } from './registry.js';

export const METRICS_PATH = '/metrics';

/** True when `header` is `Bearer <token>`, compared by digest so neither length nor content leaks by timing. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const presented = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1];
  if (!presented) return false;
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(presented), digest(token));
}

/** Answers /metrics (other paths go on); `token` null means the listener itself is the protection. */
export function metricsEndpoint(metrics: LatchkeyMetrics, token: string | null, log: Logger): Middleware {
  return async (ctx, next) => {
    if (ctx.path !== METRICS_PATH) return next();
    ctx.set('Cache-Control', 'no-store');
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') {
      ctx.status = 405;
      ctx.set('Allow', 'GET, HEAD');
      return;
    }
    if (token !== null && !bearerMatches(ctx.get('authorization') || undefined, token)) {
      log.warn(
        { ip: ctx.ip, presented: ctx.get('authorization') ? 'wrong token' : 'no token' },
        "refused a metrics scrape: set the scraper's bearer token to metrics.token (LATCHKEY_METRICS_TOKEN)",
      );
      ctx.status = 401;
      ctx.set('WWW-Authenticate', 'Bearer realm="metrics"');
      ctx.type = 'text/plain';
      ctx.body = 'Unauthorized: send Authorization: Bearer <metrics token>.\n';
      return;
    }
    const { body, contentType } = await metrics.scrape();
    ctx.type = contentType;
    ctx.body = body;
  };
}
