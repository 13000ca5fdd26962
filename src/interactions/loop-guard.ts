// Stops redirect loops. A relying party that keeps sending the same browser back (a federating IdP whose
// policy never accepts our answer, a cookie the browser refuses) would otherwise bounce between it and us
// for ever. Authorization requests are counted per browser and client in a short window; past the limit
// the request ends at the relying party with an OAuth error instead of another sign-in.
import { createHash, randomBytes } from 'node:crypto';
import type { RateLimitStore } from '../store/rate-limits.js';

export interface LoopGuardLimit {
  max_requests: number;
  window_seconds: number;
}

/** The long-lived cookie that tells one browser from another (no meaning beyond that). */
export const BROWSER_COOKIE = 'latchkey.browser';

/** A new browser id for the cookie. */
export function newBrowserId(): string {
  return randomBytes(18).toString('base64url');
}

/**
 * Whose requests are counted together: the browser cookie when the browser keeps it, else its address and
 * user agent (a browser that refuses cookies loops too, and must still be stopped).
 */
export function browserKey(browserId: string | undefined, ip: string, userAgent: string | undefined): string {
  const source =
    browserId && /^[A-Za-z0-9_-]{16,64}$/.test(browserId) ? `cookie:${browserId}` : `ip:${ip}|ua:${userAgent ?? ''}`;
  return createHash('sha256').update(source).digest('base64url');
}

export type LoopVerdict = { ok: true } | { ok: false; count: number; description: string };

export class LoopGuard {
  constructor(
    private readonly store: RateLimitStore,
    private readonly limit: LoopGuardLimit,
  ) {}

  /** Counts one authorization request of `browser` for `clientId`; refuses past the limit. */
  async admit(browser: string, clientId: string, clientName: string, now = Date.now()): Promise<LoopVerdict> {
    const key = `loop:${clientId}:${browser}`;
    const { count } = await this.store.increment(key, this.limit.window_seconds, now);
    if (count <= this.limit.max_requests) return { ok: true };
    return {
      ok: false,
      count,
      description:
        `Latchkey stopped a sign-in loop: ${clientName} sent this browser to sign in more than ` +
        `${this.limit.max_requests} times in ${this.limit.window_seconds} seconds. Close the tab and ` +
        `try again later; if it happens again, ${clientName}'s administrator should check its Latchkey set-up.`,
    };
  }
}
