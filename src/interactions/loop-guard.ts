// Stops redirect loops. A relying party that keeps sending the same browser back (a federating IdP whose
// policy never accepts our answer, a session it cannot keep) would otherwise bounce between it and us for
// ever. Authorization requests are counted per browser and client in a short window; past the limit the
// request ends at the relying party with an OAuth error instead of another sign-in. A browser is known by
// a cookie of its own. Its first request (before it has one) is not counted: addresses and user agents
// are shared by whole offices, and a browser that keeps no cookies cannot loop here (every sign-in page
// needs one, and ends on an "expired" page without it).
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

/** The counter key of a browser id from its cookie; undefined for a missing or malformed one. */
export function browserKey(browserId: string | undefined): string | undefined {
  if (!browserId || !/^[A-Za-z0-9_-]{16,64}$/.test(browserId)) return undefined;
  return createHash('sha256').update(browserId).digest('base64url');
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
