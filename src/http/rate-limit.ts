// A per-IP request limit for API endpoints (device enrollment and renewal), on the shared RateLimitStore so
// every node counts together. Every request counts, refused ones too: the limit bounds the work (CSR and
// chain verification, signing) one address can cause, not only its failures.
import type { Middleware } from 'koa';
import { RateLimitedError } from '../errors.js';
import type { RateLimitStore } from '../store/rate-limits.js';
import { announce, rateLimitRefused, type RateLimitRefused } from '../signals.js';

export interface RequestLimit {
  max: number;
  window_seconds: number;
}

/** Refuses with 429 (and Retry-After) once `ctx.ip` has made more than `limit.max` requests in the window. */
export function perIpRateLimit(store: RateLimitStore, name: string, limit: RequestLimit): Middleware {
  return async (ctx, next) => {
    const now = Date.now();
    const counter = await store.increment(`${name}:ip:${ctx.ip}`, limit.window_seconds, now);
    if (counter.count > limit.max) {
      const retryAfter = Math.max(1, Math.ceil((counter.resetAt - now) / 1000));
      announce<RateLimitRefused>(rateLimitRefused, { source: store, limit: name });
      throw new RateLimitedError(`too many requests from this address: try again in ${retryAfter} s`, retryAfter, {
        limit: name,
        ip: ctx.ip,
      });
    }
    await next();
  };
}
