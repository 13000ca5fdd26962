// Opens the SQL database (SQLite file by default, PostgreSQL when database.url is set) and applies the
// migrations. Only this module knows which driver is in use.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import { MIGRATIONS, type Migration } from '../../migrations/index.js';
import { UnavailableError } from '../errors.js';
import type { Logger } from '../log.js';

// int8 columns (our epoch-millisecond timestamps, counts) come back as numbers, not strings.
pg.types.setTypeParser(20, (value: string) => Number(value));

export type Database = Knex;

export interface DatabaseOptions {
  url: string | null;
  dataDir: string;
  poolMax: number;
  /** Where the driver's own warnings go (pool errors, lost connections); default: knex prints them. */
  log?: Logger;
  /** Seconds; defaults suit tests and the CLI. */
  connectTimeoutSeconds?: number;
  acquireTimeoutSeconds?: number;
  statementTimeoutSeconds?: number;
}

/**
 * Opens the database named by the options; SQLite uses data_dir/latchkey.sqlite in WAL mode. PostgreSQL
 * gets a timeout on every step, so a stalled server fails a request in seconds instead of hanging it:
 * statement_timeout ends slow statements on the server, query_timeout catches a server that stopped
 * answering at all (SIGSTOP, a network partition), and the pool gives up waiting for a connection.
 */
export function openDatabase(options: DatabaseOptions): Database {
  if (options.url) {
    const ms = (seconds: number | undefined) => Math.round((seconds ?? 5) * 1000);
    return knexFactory({
      client: 'pg',
      connection: {
        connectionString: options.url,
        connectionTimeoutMillis: ms(options.connectTimeoutSeconds),
        statement_timeout: ms(options.statementTimeoutSeconds),
        query_timeout: ms(options.statementTimeoutSeconds) + 1000,
        keepAlive: true,
      },
      acquireConnectionTimeout: ms(options.acquireTimeoutSeconds),
      ...(options.log ? { log: knexLog(options.log) } : {}),
      pool: { min: 0, max: options.poolMax, acquireTimeoutMillis: ms(options.acquireTimeoutSeconds) },
    });
  }
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  return knexFactory({
    client: 'better-sqlite3',
    connection: { filename: path.join(options.dataDir, 'latchkey.sqlite') },
    useNullAsDefault: true,
    pool: {
      min: 1,
      max: 1,
      afterCreate(connection: { pragma(source: string): unknown }, done: (error: Error | null) => void) {
        connection.pragma('journal_mode = WAL');
        connection.pragma('foreign_keys = ON');
        connection.pragma('busy_timeout = 5000');
        done(null);
      },
    },
  });
}

/** knex's logger, sent to the JSON log instead of the console. */
function knexLog(log: Logger): Knex.Logger {
  const text = (message: unknown) => (message instanceof Error ? message.message : String(message));
  return {
    warn: (message) => log.warn({ driver: 'knex' }, text(message)),
    error: (message) => log.error({ driver: 'knex' }, text(message)),
    deprecate: (method, alternative) => log.warn({ driver: 'knex' }, `${method} is deprecated: use ${alternative}`),
    debug: (message) => log.debug({ driver: 'knex' }, text(message)),
  };
}

export function isSqlite(db: Database): boolean {
  return db.client.config.client === 'better-sqlite3';
}

class ListedMigrations implements Knex.MigrationSource<readonly [string, Migration]> {
  async getMigrations() {
    return [...MIGRATIONS];
  }
  getMigrationName([name]: readonly [string, Migration]) {
    return name;
  }
  async getMigration([, migration]: readonly [string, Migration]) {
    return migration;
  }
}

/** Applies every pending migration; safe to call from several nodes at once (knex takes a lock). */
export async function migrateToLatest(db: Database): Promise<void> {
  await db.migrate.latest({ migrationSource: new ListedMigrations(), tableName: 'knex_migrations' });
}

/** Fails with an UnavailableError if the database does not answer. */
export async function checkDatabase(db: Database): Promise<void> {
  try {
    await db.raw('select 1');
  } catch (cause) {
    throw new UnavailableError('ERR_DATABASE_UNAVAILABLE', 'the database is not reachable', { cause });
  }
}
