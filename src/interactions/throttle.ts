// Sign-in attempts are limited per account and per IP address, with separate budgets for the first factor
// (password) and the second (TOTP), so that re-entering a known password never buys more code guesses.
// An attempt is reserved before the secret is checked (increment, then compare the count returned), so
// parallel requests cannot all pass a check made before any of them counted; a success takes its
// reservation back, a failure keeps it. Refused attempts are not counted.
import { RateLimitedError } from '../errors.js';
import type { RateLimitStore } from '../store/rate-limits.js';
import { normalizeUsername } from '../store/users.js';
import { announce, rateLimitRefused, type RateLimitRefused } from '../signals.js';

export interface Limit {
  max: number;
  window_seconds: number;
}

export interface ThrottleLimits {
  login_per_user: Limit;
  login_per_ip: Limit;
  second_factor_per_user: Limit;
}

export type FactorKind = 'first_factor' | 'second_factor';

export interface Reservation {
  /** The attempt succeeded: it no longer counts against either budget. */
  succeeded(): Promise<void>;
}

/**
 * Whom a per-user budget belongs to: the account once the login names one (so `bob` and his email share
 * one budget), else the normalised login (so unknown users are limited the same way).
 */
export function throttleSubject(user: { id: string } | undefined, login: string): string {
  return user ? `account:${user.id}` : `login:${normalizeUsername(login)}`;
}

export class SignInThrottle {
  constructor(
    private readonly store: RateLimitStore,
    private readonly limits: ThrottleLimits,
  ) {}

  /** Reserves one attempt of `kind` for `subject` from `ip`; throws RateLimitedError when a budget is used up. */
  async reserve(kind: FactorKind, subject: string, ip: string, now = Date.now()): Promise<Reservation> {
    const perUser = kind === 'first_factor' ? this.limits.login_per_user : this.limits.second_factor_per_user;
    const budgets: Array<[string, Limit]> = [
      [`${kind === 'first_factor' ? 'login' : 'mfa'}:user:${subject}`, perUser],
      [`login:ip:${ip}`, this.limits.login_per_ip],
    ];
    const counters = await Promise.all(
      budgets.map(([key, limit]) => this.store.increment(key, limit.window_seconds, now)),
    );
    const refund = () => Promise.all(budgets.map(([key]) => this.store.decrement(key))).then(() => undefined);
    const exceeded = counters.flatMap((counter, i) => (counter.count > budgets[i]![1].max ? [i] : []));
    const blockedUntil = exceeded.map((i) => counters[i]!.resetAt);
    for (const i of exceeded) {
      const limit = i === 1 ? 'login_per_ip' : kind === 'first_factor' ? 'login_per_user' : 'second_factor_per_user';
      announce<RateLimitRefused>(rateLimitRefused, { source: this.store, limit });
    }
    if (blockedUntil.length) {
      await refund();
      const retryAfter = Math.max(1, Math.ceil((Math.max(...blockedUntil) - now) / 1000));
      throw new RateLimitedError(
        `Too many failed sign-in attempts. Try again in ${Math.ceil(retryAfter / 60)} minute(s).`,
        retryAfter,
        { subject, ip, kind },
      );
    }
    return { succeeded: refund };
  }
}
