// Revisions of the tables that every node caches (clients; users and their groups; the device CA's
// certificates; not the shared settings, whose distribution switch acts at once): the database bumps a
// table's revision in the same transaction as any insert, update or delete of it, by triggers, so that a
// change made by any process (a node, the CLI, an operator's own SQL) is seen by every node that compares
// the revision (src/store/revision-cache.ts).
import type { Knex } from 'knex';

/** Cached name → the tables whose changes invalidate it. */
export const WATCHED: Record<string, readonly string[]> = {
  clients: ['clients'],
  users: ['users', 'groups', 'group_members'],
  ca: ['ca_certificates'],
};

/**
 * Columns whose updates bump a table's revision, where not every column counts: `users.totp_last_step`
 * is written by every TOTP sign-in (the atomic single-use claim, never read from a cache for a decision),
 * and bumping on it would empty every node's user cache, and on PostgreSQL queue all TOTP sign-ins of
 * the cluster on one revision row.
 */
const UPDATE_COLUMNS: Record<string, readonly string[]> = {
  users: [
    'id',
    'username',
    'email',
    'name',
    'password_hash',
    'totp_secret_sealed',
    'totp_enrolled_at',
    'disabled',
    'sessions_revoked_at',
    'created_at',
    'updated_at',
  ],
};

const isPostgres = (knex: Knex) => knex.client.config.client === 'pg';

/** `update` or `update of "a", "b"` for `table`. */
function updateEvent(table: string): string {
  const columns = UPDATE_COLUMNS[table];
  return columns ? `update of ${columns.map((column) => `"${column}"`).join(', ')}` : 'update';
}

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('cache_revisions', (t) => {
    t.string('name', 64).primary();
    t.bigInteger('revision').notNullable().defaultTo(0);
  });
  await knex('cache_revisions').insert(Object.keys(WATCHED).map((name) => ({ name, revision: 0 })));
  if (isPostgres(knex)) {
    await knex.raw(`create function latchkey_bump_revision() returns trigger language plpgsql as $$
      begin
        update cache_revisions set revision = revision + 1 where name = tg_argv[0];
        return null;
      end $$`);
  }
  for (const [name, tables] of Object.entries(WATCHED)) {
    for (const table of tables) {
      if (isPostgres(knex)) {
        await knex.raw(
          `create trigger ${table}_revision after insert or ${updateEvent(table)} or delete or truncate on "${table}" ` +
            `for each statement execute function latchkey_bump_revision('${name}')`,
        );
        continue;
      }
      for (const event of ['insert', 'update', 'delete']) {
        await knex.raw(
          `create trigger ${table}_revision_${event} after ${event === 'update' ? updateEvent(table) : event} on "${table}" begin ` +
            `update cache_revisions set revision = revision + 1 where name = '${name}'; end`,
        );
      }
    }
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const table of Object.values(WATCHED).flat()) {
    if (isPostgres(knex)) await knex.raw(`drop trigger if exists ${table}_revision on "${table}"`);
    else
      for (const event of ['insert', 'update', 'delete'])
        await knex.raw(`drop trigger if exists ${table}_revision_${event}`);
  }
  if (isPostgres(knex)) await knex.raw('drop function if exists latchkey_bump_revision()');
  await knex.schema.dropTableIfExists('cache_revisions');
}
