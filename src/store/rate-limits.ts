// Fixed-window counters for attempts (per user, per IP, per endpoint), shared by all nodes: in Redis when
// configured, else in SQL. Each increment and refund is one atomic statement, so callers can reserve an
// attempt (increment, then compare the count it returned) before doing the work it limits.
import type { Redis } from 'ioredis';
import type { Database } from './database.js';

export interface Counter {
  count: number;
  resetAt: number;
}

export interface RateLimitStore {
  /** Adds one to `key` in a window of `windowSeconds`; returns the count after adding. */
  increment(key: string, windowSeconds: number, now?: number): Promise<Counter>;
  /** Takes one back (never below zero, never extending the window): a reservation that did not count. */
  decrement(key: string): Promise<void>;
  /** Current count without adding. */
  peek(key: string, now?: number): Promise<Counter>;
  /** Forgets windows that have ended (an increment would start them afresh anyway). */
  purgeExpired(now?: number): Promise<void>;
}

export class SqlRateLimitStore implements RateLimitStore {
  constructor(private readonly db: Database) {}

  async increment(key: string, windowSeconds: number, now = Date.now()): Promise<Counter> {
    const resetAt = now + windowSeconds * 1000;
    const result = await this.db.raw(
      `insert into rate_limits (key, count, reset_at) values (?, 1, ?)
       on conflict (key) do update set
         count = case when rate_limits.reset_at <= ? then 1 else rate_limits.count + 1 end,
         reset_at = case when rate_limits.reset_at <= ? then ? else rate_limits.reset_at end
       returning count, reset_at`,
      [key, resetAt, now, now, resetAt],
    );
    const rows = (Array.isArray(result) ? result : result.rows) as Array<{ count: number; reset_at: number }>;
    const row = rows[0]!;
    return { count: Number(row.count), resetAt: Number(row.reset_at) };
  }

  async decrement(key: string): Promise<void> {
    await this.db('rate_limits').where({ key }).andWhere('count', '>', 0).decrement('count', 1);
  }

  async peek(key: string, now = Date.now()): Promise<Counter> {
    const row = await this.db('rate_limits').where({ key }).first<{ count: number; reset_at: number } | undefined>();
    if (!row || Number(row.reset_at) <= now) return { count: 0, resetAt: now };
    return { count: Number(row.count), resetAt: Number(row.reset_at) };
  }

  async purgeExpired(now = Date.now()): Promise<void> {
    await this.db('rate_limits').where('reset_at', '<=', now).delete();
  }
}

// Takes one back from a live counter without touching its TTL; a counter already gone stays gone.
const DECREMENT = `
if redis.call('EXISTS', KEYS[1]) == 1 and tonumber(redis.call('GET', KEYS[1])) > 0 then
  return redis.call('DECR', KEYS[1])
end
return 0`;

export class RedisRateLimitStore implements RateLimitStore {
  private readonly redis: Redis & { latchkeyDecrement(key: string): Promise<number> };

  constructor(
    redis: Redis,
    private readonly prefix: string,
  ) {
    redis.defineCommand('latchkeyDecrement', { numberOfKeys: 1, lua: DECREMENT });
    this.redis = redis as typeof this.redis;
  }

  private key(key: string): string {
    return `${this.prefix}ratelimit:${key}`;
  }

  async increment(key: string, windowSeconds: number, now = Date.now()): Promise<Counter> {
    const k = this.key(key);
    const results = await this.redis.multi().set(k, 0, 'EX', windowSeconds, 'NX').incr(k).pttl(k).exec();
    const count = Number(results?.[1]?.[1] ?? 1);
    const pttl = Number(results?.[2]?.[1] ?? windowSeconds * 1000);
    return { count, resetAt: now + Math.max(pttl, 0) };
  }

  async decrement(key: string): Promise<void> {
    await this.redis.latchkeyDecrement(this.key(key));
  }

  async peek(key: string, now = Date.now()): Promise<Counter> {
    const k = this.key(key);
    const [count, pttl] = await Promise.all([this.redis.get(k), this.redis.pttl(k)]);
    return { count: Number(count ?? 0), resetAt: now + Math.max(pttl, 0) };
  }

  /** Nothing to do: each counter key expires with its window. */
  async purgeExpired(): Promise<void> {}
}
