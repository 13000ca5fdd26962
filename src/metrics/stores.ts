// How long the stores take and how often they fail: knex's query events time every SQL query; a wrapper
// around this Redis client's sendCommand times every command (ioredis has no per-client hook, and its
// process-wide tracing channel serialises every command's arguments). Each returns its undo.
import { performance } from 'node:perf_hooks';
import type { Redis } from 'ioredis';
import type { Database } from '../store/database.js';
import { codeLabel, type LatchkeyMetrics } from './registry.js';

/** Queries in flight longer than any timeout are forgotten past this many (a connection died mid-query). */
const MAX_IN_FLIGHT = 10_000;

interface KnexQuery {
  __knexQueryUid?: string;
  method?: string;
  sql?: string;
}

const SQL_VERBS = new Set(['select', 'insert', 'update', 'delete', 'begin', 'commit', 'rollback', 'savepoint']);

/** The operation of a knex query, from its builder method or (raw SQL) its first word. */
export function sqlOperation(query: KnexQuery): string {
  switch (query.method) {
    case 'select':
    case 'first':
    case 'pluck':
      return 'select';
    case 'insert':
    case 'update':
      return query.method;
    case 'del':
    case 'delete':
      return 'delete';
    case 'counter':
      return 'update';
    default: {
      const verb = /^\s*([a-z]+)/i.exec(query.sql ?? '')?.[1]?.toLowerCase();
      return verb && SQL_VERBS.has(verb) ? verb : 'other';
    }
  }
}

/** Times every query of `db` and counts the failed ones. */
export function timeDatabase(db: Database, metrics: LatchkeyMetrics): () => void {
  const started = new Map<string, number>();
  const onQuery = (query: KnexQuery) => {
    if (!query.__knexQueryUid) return;
    if (started.size >= MAX_IN_FLIGHT) started.clear();
    started.set(query.__knexQueryUid, performance.now());
  };
  const settle = (query: KnexQuery, failed: boolean) => {
    const uid = query.__knexQueryUid;
    const began = uid ? started.get(uid) : undefined;
    if (uid) started.delete(uid);
    const labels = { store: 'sql', operation: sqlOperation(query) };
    if (began !== undefined) metrics.storeDuration.observe(labels, (performance.now() - began) / 1000);
    if (failed) metrics.storeErrors.inc(labels);
  };
  const onResponse = (_response: unknown, query: KnexQuery) => settle(query, false);
  const onError = (_error: unknown, query: KnexQuery) => settle(query, true);
  db.on('query', onQuery).on('query-response', onResponse).on('query-error', onError);
  return () => {
    db.off('query', onQuery).off('query-response', onResponse).off('query-error', onError);
  };
}

interface RedisCommand {
  name: string;
  promise: Promise<unknown>;
}

/** Times every command this Redis client sends (pipelined and MULTI ones included) and counts failures. */
export function timeRedis(redis: Redis, metrics: LatchkeyMetrics): () => void {
  const client = redis as unknown as { sendCommand: (command: RedisCommand, ...rest: unknown[]) => unknown };
  const original = client.sendCommand;
  client.sendCommand = function timed(this: unknown, command: RedisCommand, ...rest: unknown[]) {
    const began = performance.now();
    const labels = { store: 'redis', operation: codeLabel(command.name?.toLowerCase(), /^[a-z]{1,24}$/) };
    command.promise.then(
      () => metrics.storeDuration.observe(labels, (performance.now() - began) / 1000),
      () => {
        metrics.storeDuration.observe(labels, (performance.now() - began) / 1000);
        metrics.storeErrors.inc(labels);
      },
    );
    return original.call(this, command, ...rest);
  };
  return () => {
    client.sendCommand = original;
  };
}
