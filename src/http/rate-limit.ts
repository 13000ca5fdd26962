// A per-IP request limit for API endpoints (device enrollment and renewal), on the shared RateLimitStore so
// every node counts together. Every request counts, refused ones too: the limit bounds the work (CSR and
// chain verification, signing) one address can cause, not only its failures.
import type { Context, Middleware } from 'koa';
import { RateLimitedError } from '../errors.js';
import type { RateLimitStore } from '../store/rate-limits.js';
import { announce, rateLimitRefused, type RateLimitRefused } from '../signals.js';

export interface RequestLimit {
  max: number;
  window_seconds: number;
}

/** Refuses with 429 (and Retry-After) once `ctx.ip` has made more than `limit.max` requests in the window. */
export function perIpRateLimit(store: RateLimitStore, name: string, limit: RequestLimit): Middleware {
  return rateLimitBy(store, name, limit, (ctx) => ({
    key: `ip:${ctx.ip}`,
    who: 'this address',
    detail: { ip: ctx.ip },
  }));
}

/** Who a request is counted as: the counter's key, the words for refusals, and detail for logs. */
export interface RateLimitSubject {
  key: string;
  who: string;
  detail: Record<string, unknown>;
}

/**
 * Refuses with 429 (and Retry-After) once the subject `subjectOf` names for a request (an address, an API
 * caller) has made more than `limit.max` requests in the window. The count is reserved before anything
 * else runs, across every node sharing the store.
 */
export function rateLimitBy(
  store: RateLimitStore,
  name: string,
  limit: RequestLimit,
  subjectOf: (ctx: Context) => RateLimitSubject,
): Middleware {
  return async (ctx, next) => {
    const subject = subjectOf(ctx);
    const now = Date.now();
    const counter = await store.increment(`${name}:${subject.key}`, limit.window_seconds, now);
    if (counter.count > limit.max) {
      const retryAfter = Math.max(1, Math.ceil((counter.resetAt - now) / 1000));
      announce<RateLimitRefused>(rateLimitRefused, { source: store, limit: name });
      throw new RateLimitedError(`too many requests from ${subject.who}: try again in ${retryAfter} s`, retryAfter, {
        limit: name,
        ...subject.detail,
      });
    }
    await next();
  };
}
