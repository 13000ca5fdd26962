// Fixed-window counters for failed attempts (per user, per IP), shared by all nodes: in Redis when
// configured, else in SQL. Each increment is one atomic statement.
import type { Redis } from 'ioredis';
import type { Database } from './database.js';

export interface Counter {
  count: number;
  resetAt: number;
}

export interface RateLimitStore {
  /** Adds one to `key` in a window of `windowSeconds`; returns the count after adding. */
  increment(key: string, windowSeconds: number, now?: number): Promise<Counter>;
  /** Current count without adding. */
  peek(key: string, now?: number): Promise<Counter>;
  reset(key: string): Promise<void>;
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

  async peek(key: string, now = Date.now()): Promise<Counter> {
    const row = await this.db('rate_limits').where({ key }).first<{ count: number; reset_at: number } | undefined>();
    if (!row || Number(row.reset_at) <= now) return { count: 0, resetAt: now };
    return { count: Number(row.count), resetAt: Number(row.reset_at) };
  }

  async reset(key: string): Promise<void> {
    await this.db('rate_limits').where({ key }).delete();
  }
}

export class RedisRateLimitStore implements RateLimitStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

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

  async peek(key: string, now = Date.now()): Promise<Counter> {
    const k = this.key(key);
    const [count, pttl] = await Promise.all([this.redis.get(k), this.redis.pttl(k)]);
    return { count: Number(count ?? 0), resetAt: now + Math.max(pttl, 0) };
  }

  async reset(key: string): Promise<void> {
    await this.redis.del(this.key(key));
  }
}
