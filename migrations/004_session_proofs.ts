// What each browser session proved when it signed in (oidc-provider keeps only accountId, acr, amr and the
// login time): the proofs, keyed by the session's uid, with the device they proved so that revoking a
// device can end its sessions. Tokens carry the session uid, so token use re-checks the device too.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('session_proofs', (t) => {
    t.string('session_uid', 255).primary();
    t.string('account_id', 64).notNullable().index();
    t.string('device_id', 64).nullable().index();
    t.text('proofs').notNullable();
    t.bigInteger('updated_at').notNullable();
    t.bigInteger('expires_at').notNullable().index();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('session_proofs');
}
