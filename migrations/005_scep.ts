// SCEP (RFC 8894) and the admin API: where a device came from (agent or SCEP), the RA certificate (one per
// issuing intermediate, key sealed), static challenges per profile and one-time challenges (hashes only),
// the sender nonces of issued SCEP transactions (a replayed request is refused), and admin API tokens
// (hashes only). Timestamps are epoch milliseconds.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('devices', (t) => {
    // Every device enrolled before SCEP existed came through the agent.
    t.string('source', 16).notNullable().defaultTo('agent');
  });
  await knex.schema.createTable('scep_ra_certificates', (t) => {
    // One RA per intermediate: a new CA gets a new RA, and concurrent first uses agree on one row.
    t.string('issuer_id', 64).primary();
    t.text('certificate_pem').notNullable();
    t.text('private_key_sealed').notNullable();
    t.string('fingerprint_sha256', 64).notNullable();
    t.bigInteger('not_before').notNullable();
    t.bigInteger('not_after').notNullable();
    t.bigInteger('created_at').notNullable();
  });
  await knex.schema.createTable('scep_static_challenges', (t) => {
    t.string('profile', 64).primary();
    t.string('challenge_hash', 64).notNullable();
    t.bigInteger('created_at').notNullable();
    t.string('created_by', 255).nullable();
  });
  await knex.schema.createTable('scep_challenges', (t) => {
    t.string('id', 64).primary();
    t.string('challenge_hash', 64).notNullable().unique();
    t.string('user_id', 64).notNullable().references('users.id').onDelete('CASCADE');
    t.string('profile', 64).notNullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('expires_at').notNullable().index();
    t.bigInteger('used_at').nullable();
    t.string('device_id', 64).nullable();
    t.string('created_by', 255).nullable();
  });
  await knex.schema.createTable('scep_transactions', (t) => {
    t.string('sender_nonce_sha256', 64).primary();
    t.string('transaction_id', 128).notNullable();
    t.string('profile', 64).notNullable();
    t.string('message_type', 8).notNullable();
    t.string('serial', 64).notNullable();
    t.string('device_id', 64).notNullable();
    t.bigInteger('created_at').notNullable().index();
  });
  await knex.schema.createTable('admin_api_tokens', (t) => {
    t.string('id', 64).primary();
    t.string('name', 255).notNullable();
    t.string('token_hash', 64).notNullable().unique();
    t.text('scopes').notNullable();
    t.bigInteger('created_at').notNullable();
    t.string('created_by', 255).nullable();
    t.bigInteger('expires_at').nullable();
    t.bigInteger('last_used_at').nullable();
    t.bigInteger('revoked_at').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [
    'admin_api_tokens',
    'scep_transactions',
    'scep_challenges',
    'scep_static_challenges',
    'scep_ra_certificates',
  ]) {
    await knex.schema.dropTableIfExists(table);
  }
  await knex.schema.alterTable('devices', (t) => {
    t.dropColumn('source');
  });
}
