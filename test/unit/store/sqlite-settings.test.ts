// The embedded SQLite database: WAL with synchronous=NORMAL unless FULL is configured (the durability
// trade-off of database.sqlite_synchronous), and statements prepared once per SQL text and reused, which must
// never change what a query returns.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { openDatabase, type Database, type SqliteSynchronous } from '../../../src/store/database.js';

const opened: Array<{ db: Database; dir: string }> = [];

function sqlite(sqliteSynchronous?: SqliteSynchronous): Database {
  const dir = mkdtempSync(path.join(tmpdir(), 'latchkey-sqlite-'));
  const db = openDatabase({ url: null, dataDir: dir, poolMax: 1, sqliteSynchronous });
  opened.push({ db, dir });
  return db;
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
});
