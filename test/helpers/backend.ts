// Which stores the integration tests run against: the embedded default (SQLite, SQL sessions), or the
// real PostgreSQL and Redis named by LATCHKEY_TEST_DATABASE_URL / LATCHKEY_TEST_REDIS_URL (.ci/run sets
// them). Each test file gets its own PostgreSQL schema and Redis key prefix, so files never collide.
import { randomBytes } from 'node:crypto';
import knexFactory from 'knex';

export interface Backend {
  name: string;
  databaseUrl: string | null;
  redisUrl: string | null;
  redisPrefix: string;
  /** Drops what this backend created (the PostgreSQL schema). */
  dispose(): Promise<void>;
}

export function backendName(): string {
  const db = process.env.LATCHKEY_TEST_DATABASE_URL ? 'postgresql' : 'sqlite';
  return process.env.LATCHKEY_TEST_REDIS_URL ? `${db}+redis` : db;
}

/** Prepares an isolated backend for one test file. */
export async function prepareBackend(): Promise<Backend> {
  const suffix = randomBytes(6).toString('hex');
  const base = process.env.LATCHKEY_TEST_DATABASE_URL || null;
  const redisUrl = process.env.LATCHKEY_TEST_REDIS_URL || null;
  const redisPrefix = `latchkey-test-${suffix}:`;
  if (!base) return { name: backendName(), databaseUrl: null, redisUrl, redisPrefix, dispose: async () => {} };
  const schema = `lk_test_${suffix}`;
  const admin = knexFactory({ client: 'pg', connection: base });
  await admin.raw(`create schema ${schema}`);
  await admin.destroy();
  const url = new URL(base);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    name: backendName(),
    databaseUrl: url.toString(),
    redisUrl,
    redisPrefix,
    async dispose() {
      const cleanup = knexFactory({ client: 'pg', connection: base });
      await cleanup.raw(`drop schema if exists ${schema} cascade`);
      await cleanup.destroy();
    },
  };
}
