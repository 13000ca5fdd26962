// Device trust: Latchkey's own CA (root and intermediate), enrolled devices, the certificates issued to
// them, and single-use enrollment tokens (stored hashed). Timestamps are epoch milliseconds.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('ca_certificates', (t) => {
    t.string('id', 64).primary();
    t.string('role', 16).notNullable();
    t.text('subject').notNullable();
    t.text('certificate_pem').notNullable();
    t.text('private_key_sealed').nullable();
    t.string('fingerprint_sha256', 64).notNullable();
    t.bigInteger('not_before').notNullable();
    t.bigInteger('not_after').notNullable();
    t.string('status', 16).notNullable();
    t.bigInteger('created_at').notNullable();
    t.index(['role', 'status']);
  });
  await knex.schema.createTable('devices', (t) => {
    t.string('id', 64).primary();
    t.string('user_id', 64).notNullable().references('users.id').onDelete('CASCADE');
    t.string('platform', 32).notNullable();
    t.string('os_version', 64).nullable();
    t.string('hostname', 255).nullable();
    t.boolean('managed').notNullable().defaultTo(true);
    t.string('integrity', 16).notNullable().defaultTo('unknown');
    t.string('status', 16).notNullable();
    t.bigInteger('enrolled_at').notNullable();
    t.bigInteger('last_seen_at').nullable();
    t.bigInteger('revoked_at').nullable();
    t.text('revoked_reason').nullable();
    t.index(['user_id']);
  });
  await knex.schema.createTable('device_certificates', (t) => {
    t.string('serial', 64).primary();
    t.string('device_id', 64).notNullable().references('devices.id').onDelete('CASCADE');
    t.string('user_id', 64).notNullable();
    t.string('issuer_id', 64).notNullable();
    t.string('spki_sha256', 64).notNullable();
    t.text('certificate_pem').notNullable();
    t.bigInteger('not_before').notNullable();
    t.bigInteger('not_after').notNullable();
    t.bigInteger('issued_at').notNullable();
    t.string('renewed_from', 64).nullable();
    t.bigInteger('revoked_at').nullable();
    t.string('revocation_reason', 32).nullable();
    t.index(['device_id']);
    t.index(['user_id']);
    t.index(['revoked_at']);
  });
  await knex.schema.createTable('enrollment_tokens', (t) => {
    t.string('id', 64).primary();
    t.string('token_hash', 64).notNullable().unique();
    t.string('user_id', 64).notNullable().references('users.id').onDelete('CASCADE');
    t.bigInteger('created_at').notNullable();
    t.bigInteger('expires_at').notNullable();
    t.bigInteger('used_at').nullable();
    t.string('device_id', 64).nullable();
    t.string('created_by', 255).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['enrollment_tokens', 'device_certificates', 'devices', 'ca_certificates']) {
    await knex.schema.dropTableIfExists(table);
  }
}
