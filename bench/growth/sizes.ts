// How much room a table takes, from the database's own accounting: SQLite's dbstat virtual table (pages
// of the table and its indexes), PostgreSQL's pg_total_relation_size (heap, indexes and TOAST).
import { isSqlite, type Database } from '../../src/store/database.js';

/** Bytes used by `table` with its indexes. */
export async function tableBytes(db: Database, table: string): Promise<number> {
  if (!isSqlite(db)) {
    const result = (await db.raw('select pg_total_relation_size(?::regclass) as bytes', [table])) as {
      rows: Array<{ bytes: number | string }>;
    };
    return Number(result.rows[0]!.bytes);
  }
  const rows = (await db.raw(
    `select sum(pgsize) as bytes from dbstat where name = ? or name in
       (select name from sqlite_master where type = 'index' and tbl_name = ?)`,
    [table, table],
  )) as Array<{ bytes: number | null }>;
  return Number(rows[0]?.bytes ?? 0);
}

/** Redis's used_memory, in bytes. */
export async function redisUsedMemory(redis: { info(section: string): Promise<string> }): Promise<number> {
  const match = /used_memory:(\d+)/.exec(await redis.info('memory'));
  return match ? Number(match[1]) : 0;
}
