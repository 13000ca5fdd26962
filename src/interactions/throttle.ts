// Failed sign-in attempts are limited per user and per IP address. Checked before any password hash is
// computed; only failures count; a success clears the user's counter.
import { RateLimitedError } from '../errors.js';
import type { RateLimitStore } from '../store/rate-limits.js';

export interface ThrottleLimits {
  login_per_user: { max: number; window_seconds: number };
  login_per_ip: { max: number; window_seconds: number };
}

export class LoginThrottle {
  constructor(
    private readonly store: RateLimitStore,
    private readonly limits: ThrottleLimits,
  ) {}

  /** Throws RateLimitedError when the user or the IP has used up its failures. */
  async assertAllowed(username: string, ip: string, now = Date.now()): Promise<void> {
    const [user, address] = await Promise.all([
      this.store.peek(`login:user:${username.toLowerCase()}`, now),
      this.store.peek(`login:ip:${ip}`, now),
    ]);
    const blocked = [
      user.count >= this.limits.login_per_user.max ? user.resetAt : 0,
      address.count >= this.limits.login_per_ip.max ? address.resetAt : 0,
    ].filter(Boolean);
    if (blocked.length) {
      const retryAfter = Math.max(1, Math.ceil((Math.max(...blocked) - now) / 1000));
      throw new RateLimitedError(
        `Too many failed sign-in attempts. Try again in ${Math.ceil(retryAfter / 60)} minute(s).`,
        retryAfter,
        { username, ip },
      );
    }
  }

  async recordFailure(username: string, ip: string, now = Date.now()): Promise<void> {
    await Promise.all([
      this.store.increment(`login:user:${username.toLowerCase()}`, this.limits.login_per_user.window_seconds, now),
      this.store.increment(`login:ip:${ip}`, this.limits.login_per_ip.window_seconds, now),
    ]);
  }

  async recordSuccess(username: string): Promise<void> {
    await this.store.reset(`login:user:${username.toLowerCase()}`);
  }
}
