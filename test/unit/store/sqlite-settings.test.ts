// The embedded SQLite database: WAL with synchronous=NORMAL unless FULL is configured (the durability
// trade-off of database.sqlite_synchronous), and statements prepared once per SQL text and reused, which must
// never change what a query returns; transactions take the write lock first, so one that read before another
// process (a second node, the CLI) wrote still commits.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { isSqlite, openDatabase, type Database, type SqliteSynchronous } from '../../../src/store/database.js';

const opened: Array<{ db: Database; dir: string }> = [];

function sqlite(sqliteSynchronous?: SqliteSynchronous): Database {
  const dir = mkdtempSync(path.join(tmpdir(), 'latchkey-sqlite-'));
  const db = openDatabase({ url: null, dataDir: dir, poolMax: 1, sqliteSynchronous });
  opened.push({ db, dir });
  return db;
}

/**
 * Another process on the same database file, as a second node or the CLI is: on each line "write" it
 * inserts a row (waiting up to 5 s for the write lock, as Latchkey's connections do) and answers "wrote".
 */
function otherProcess(file: string) {
  const script = `
    const db = new (require('better-sqlite3'))(${JSON.stringify(file)});
    db.pragma('busy_timeout = 5000');
    require('node:readline').createInterface({ input: process.stdin }).on('line', () => {
      db.prepare("insert into t (name) values ('theirs')").run();
      process.stdout.write('wrote\\n');
    }).on('close', () => db.close());
  `;
  const child = spawn(process.execPath, ['-e', script], { cwd: process.cwd(), stdio: ['pipe', 'pipe', 'inherit'] });
  return {
    /** Asks for a write; resolves true when it was made within `ms`, false when it is still waiting. */
    async write(ms: number): Promise<boolean> {
      child.stdin.write('write\n');
      return Promise.race([
        once(child.stdout, 'data').then(() => true),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms)),
      ]);
    },
    async end(): Promise<number | null> {
      child.stdin.end();
      const [code] = (await once(child, 'exit')) as [number | null];
      return code;
    },
  };
}

/** SQLite's numeric synchronous level: 1 NORMAL, 2 FULL. */
async function synchronousOf(db: Database): Promise<number> {
  const rows = (await db.raw('pragma synchronous')) as Array<{ synchronous: number }>;
  return rows[0]!.synchronous;
}

afterEach(async () => {
  for (const { db, dir } of opened.splice(0)) {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('the SQLite database', () => {
  it('runs in WAL mode with synchronous=NORMAL by default', async () => {
    const db = sqlite();
    const [mode] = (await db.raw('pragma journal_mode')) as Array<{ journal_mode: string }>;
    expect(mode!.journal_mode).toBe('wal');
    expect(await synchronousOf(db)).toBe(1);
  });

  it('syncs every commit when database.sqlite_synchronous is full', async () => {
    expect(await synchronousOf(sqlite('full'))).toBe(2);
  });

  it('answers a reused statement with the current rows and bindings', async () => {
    const db = sqlite();
    await db.schema.createTable('t', (t) => {
      t.integer('id').primary();
      t.string('name');
    });
    const named = (id: number) => db('t').where({ id }).first('name');
    await db('t').insert({ id: 1, name: 'one' });
    expect(await named(1)).toEqual({ name: 'one' });
    await db('t').insert({ id: 2, name: 'two' });
    await db('t').where({ id: 1 }).update({ name: 'uno' });
    expect([await named(1), await named(2), await named(3)]).toEqual([{ name: 'uno' }, { name: 'two' }, undefined]);
    // A statement prepared before the schema changed still works after it.
    await db.schema.alterTable('t', (t) => t.string('extra'));
    expect(await db('t').where({ id: 2 }).first()).toEqual({ id: 2, name: 'two', extra: null });
    expect(await db('t').where({ id: 2 }).first()).toEqual({ id: 2, name: 'two', extra: null });
  });

  it('commits a transaction that read before another process wrote, and that process waits its turn', async () => {
    // Before transactions began IMMEDIATE, the other process wrote at once, and this transaction's write
    // failed with SQLITE_BUSY (its snapshot was stale: busy_timeout cannot help): a CLI `policy reload`
    // beside two polling nodes failed that way.
    const db = sqlite();
    expect(isSqlite(db)).toBe(true);
    await db.schema.createTable('t', (t) => {
      t.increments('id');
      t.string('name');
    });
    const other = otherProcess(path.join(opened.at(-1)!.dir, 'latchkey.sqlite'));
    try {
      const otherWroteDuring = await db.transaction(async (trx) => {
        await trx('t').count({ n: '*' });
        const wrote = await other.write(500);
        await trx('t').insert({ name: 'ours' });
        return wrote;
      });
      expect(otherWroteDuring).toBe(false);
    } finally {
      expect(await other.end()).toBe(0);
    }
    expect((await db('t').orderBy('id').select('name')).map((row) => row.name)).toEqual(['ours', 'theirs']);
  });
});
