// Opens the SQL database (SQLite file by default, PostgreSQL when database.url is set) and applies the
// migrations. Only this module knows which driver is in use.
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { MIGRATIONS, type Migration } from '../../migrations/index.js';
import { UnavailableError } from '../errors.js';
import type { Logger } from '../log.js';

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

/** SQLite's synchronous setting in WAL mode (database.sqlite_synchronous). */
export type SqliteSynchronous = 'normal' | 'full';

export interface DatabaseOptions {
  url: string | null;
  dataDir: string;
  poolMax: number;
  /** Where the driver's own warnings go (pool errors, lost connections); default: knex prints them. */
  log?: Logger;
  /**
   * SQLite only: `normal` (WAL commits are not synced one by one: a power loss or OS crash may lose the
   * last transactions, a crash of Latchkey itself loses none) or `full` (every commit synced). Default normal.
   */
  sqliteSynchronous?: SqliteSynchronous;
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
  const log = knexLog(options.log);
  if (options.url) {
    loadPg();
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
      log,
      pool: { min: 0, max: options.poolMax, acquireTimeoutMillis: ms(options.acquireTimeoutSeconds) },
    });
  }
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  return knexFactory({
    client: sqliteClient(),
    connection: { filename: path.join(options.dataDir, 'latchkey.sqlite') },
    useNullAsDefault: true,
    log,
    pool: {
      min: 1,
      max: 1,
      afterCreate(connection: SqliteConnection, done: (error: Error | null) => void) {
        connection.pragma('journal_mode = WAL');
        connection.pragma(`synchronous = ${(options.sqliteSynchronous ?? 'normal').toUpperCase()}`);
        connection.pragma('foreign_keys = ON');
        connection.pragma('busy_timeout = 5000');
        // SQLite's lower() folds ASCII only; searches fold names as JavaScript (and PostgreSQL) do.
        connection.function(UNICODE_LOWER, { deterministic: true }, (value: unknown) =>
          typeof value === 'string' ? value.toLowerCase() : value,
        );
        reusePreparedStatements(connection);
        done(null);
      },
    },
  });
}

type KnexInternals = new (...args: never[]) => object;

/**
 * knex's better-sqlite3 client, with transactions that begin IMMEDIATE. knex begins them DEFERRED: the
 * first read takes a snapshot, and the first write after it must upgrade to the write lock; when another
 * connection (a second node on the same file, or the CLI beside the server) wrote since that snapshot,
 * SQLite refuses the upgrade at once with SQLITE_BUSY, and busy_timeout does not help because waiting
 * cannot make the snapshot current. IMMEDIATE takes the write lock first, so busy_timeout applies and a
 * read-then-write transaction (publishing a policy set, say) waits its turn instead of failing.
 * Within one process the pool has a single connection, so this costs nothing there. The classes are knex's
 * own extension point (its `client` option takes a class); knex has no option for the BEGIN mode.
 */
function sqliteClient(): typeof Knex.Client {
  const load = createRequire(import.meta.url);
  const BetterSqlite = load('knex/lib/dialects/better-sqlite3/index.js') as KnexInternals;
  const SqliteTransaction = load('knex/lib/dialects/sqlite3/execution/sqlite-transaction.js') as KnexInternals;
  class ImmediateTransaction extends SqliteTransaction {
    begin(this: { query(conn: unknown, sql: string): Promise<unknown> }, conn: unknown) {
      return this.query(conn, 'BEGIN IMMEDIATE;');
    }
  }
  class ImmediateClient extends BetterSqlite {
    transaction(...args: unknown[]) {
      return new (ImmediateTransaction as unknown as new (...a: unknown[]) => object)(this, ...args);
    }
  }
  return ImmediateClient as unknown as typeof Knex.Client;
}

interface SqliteStatement {
  safeIntegers(on?: boolean): unknown;
}
interface SqliteConnection {
  pragma(source: string): unknown;
  function(name: string, options: { deterministic: boolean }, fn: (value: unknown) => unknown): unknown;
  prepare(sql: string): SqliteStatement;
}

/** How many distinct statements one SQLite connection keeps prepared (our queries are a few hundred). */
const STATEMENT_CACHE_SIZE = 1000;

/**
 * knex prepares every query anew, and on SQLite preparing was the largest single cost of a request in the
 * server's CPU profile (better-sqlite3 prepare: 5.9% self time of an existing-session code flow). Statements
 * are reused per SQL text: better-sqlite3 runs them synchronously, so one is never used by two queries at
 * once, and SQLite re-prepares a statement itself when the schema changed. Integer mode is reset on each
 * reuse, since knex sets it on a statement only when a query asks.
 */
function reusePreparedStatements(connection: SqliteConnection): void {
  const prepare = connection.prepare.bind(connection);
  const prepared = new Map<string, SqliteStatement>();
  connection.prepare = (sql: string) => {
    const cached = prepared.get(sql);
    if (cached) {
      cached.safeIntegers(false);
      return cached;
    }
    const statement = prepare(sql);
    if (prepared.size >= STATEMENT_CACHE_SIZE) prepared.delete(prepared.keys().next().value!);
    prepared.set(sql, statement);
    return statement;
  };
}

/**
 * knex's logger, sent to the JSON log (or, without one, the console). knex prints every failed connection
 * attempt with its stack ("Acquire connection error: ...") before the same error reaches the caller, which
 * reports it in one line (checkDatabase, a 503): that one is dropped.
 */
function knexLog(log: Logger | undefined): Knex.Logger {
  const text = (message: unknown) => (message instanceof Error ? message.message : String(message));
  const warn = (message: unknown) => {
    if (text(message).startsWith('Acquire connection error')) return;
    if (log) log.warn({ driver: 'knex' }, text(message));
    else console.warn(`Knex: warning: ${text(message)}`);
  };
  return {
    warn,
    error: (message) => (log ? log.error({ driver: 'knex' }, text(message)) : console.error(`Knex: ${text(message)}`)),
    deprecate: (method, alternative) => warn(`${method} is deprecated: use ${alternative}`),
    debug: (message) => log?.debug({ driver: 'knex' }, text(message)),
  };
}

/** The SQL function that lower-cases text with Unicode rules on both backends. */
const UNICODE_LOWER = 'latchkey_lower';

/** `lower` on PostgreSQL (Unicode already), our own Unicode `latchkey_lower` on SQLite. */
export function unicodeLower(db: Database): string {
  return isSqlite(db) ? UNICODE_LOWER : 'lower';
}

export function isSqlite(db: Database): boolean {
  return (db.client as { driverName?: string }).driverName === 'better-sqlite3';
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

/**
 * Fails with an UnavailableError if the database does not answer, saying why in terms of what to change:
 * a PostgreSQL database that does not exist or refuses the credentials is not "not reachable".
 */
export async function checkDatabase(db: Database): Promise<void> {
  try {
    await db.raw('select 1');
  } catch (cause) {
    throw databaseFailure(cause, describeDatabase(db));
  }
}

/** `PostgreSQL database "latchkey" at db.example:5432` or `the SQLite database`, for messages. */
function describeDatabase(db: Database): { what: string; name: string; user: string } {
  if (isSqlite(db)) return { what: 'the SQLite database', name: '', user: '' };
  // openDatabase gives pg the URL as connectionString (beside its timeouts): read the names from it.
  const { connectionString } = (db.client.config.connection ?? {}) as { connectionString?: string };
  const url = connectionString && URL.canParse(connectionString) ? new URL(connectionString) : undefined;
  const user = decodeURIComponent(url?.username ?? '');
  const name = decodeURIComponent(url?.pathname.replace(/^\//, '') ?? '') || user;
  return { what: `PostgreSQL database "${name}" at ${url?.hostname || 'localhost'}:${url?.port || 5432}`, name, user };
}

const FIX_URL = 'database.url or LATCHKEY_DATABASE_URL';

function databaseFailure(cause: unknown, db: { what: string; name: string; user: string }): UnavailableError {
  const error = cause as { code?: string; message?: string };
  const fail = (code: string, message: string) => new UnavailableError(code, message, { cause });
  switch (error.code) {
    case '3D000': // invalid_catalog_name
      return fail(
        'ERR_DATABASE_NOT_FOUND',
        `${db.what} does not exist: create it (createdb -O ${db.user || 'latchkey'} ${db.name}; docs/install.md) ` +
          `or point ${FIX_URL} at an existing one`,
      );
    case '28P01': // invalid_password
    case '28000': // invalid_authorization_specification: unknown role, or no pg_hba.conf entry
      return fail(
        'ERR_DATABASE_AUTH',
        `${db.what} refused the connection: ${error.message ?? error.code}; fix the user or password in ${FIX_URL}`,
      );
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
      return fail(
        'ERR_DATABASE_UNAVAILABLE',
        `${db.what} is not reachable (${error.code}): is PostgreSQL running there? Check the host and port in ${FIX_URL}`,
      );
    default:
      return fail('ERR_DATABASE_UNAVAILABLE', `${db.what} is not usable: ${error.message ?? String(cause)}`);
  }
}
