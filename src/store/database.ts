// Opens the SQL database (SQLite file by default, PostgreSQL when database.url is set) and applies the
// migrations. Only this module knows which driver is in use.
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { MIGRATIONS, type Migration } from '../../migrations/index.js';
import { UnavailableError } from '../errors.js';

/**
 * The pg driver, loaded on first use so that SQLite installations (and a quick CLI command) do not pay
 * for it; knex requires the same module instance, so the type parser set here applies to its pool.
 */
function loadPg(): typeof import('pg') {
  const pg = createRequire(import.meta.url)('pg') as typeof import('pg');
  // int8 columns (our epoch-millisecond timestamps, counts) come back as numbers, not strings.
  pg.types.setTypeParser(20, (value: string) => Number(value));
  return pg;
}

export type Database = Knex;

export interface DatabaseOptions {
  url: string | null;
  dataDir: string;
  poolMax: number;
}

/** Opens the database named by the options; SQLite uses data_dir/latchkey.sqlite in WAL mode. */
export function openDatabase(options: DatabaseOptions): Database {
  if (options.url) {
    loadPg();
    return knexFactory({ client: 'pg', connection: options.url, pool: { min: 0, max: options.poolMax } });
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
