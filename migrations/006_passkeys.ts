// Passkeys (WebAuthn credentials): one row per registered credential, its public key and signature
// counter, what the authenticator said about itself (AAGUID, backup flags, attestation and whether its
// chain was verified), the device proven when it was registered, and its lifetime. Timestamps are epoch
// milliseconds. Named 006: 005 belongs to SCEP.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('passkeys', (t) => {
    t.string('id', 64).primary();
    // base64url of the raw credential id (at most 1023 bytes by WebAuthn, 1364 characters).
    t.string('credential_id', 1400).notNullable().unique();
    t.string('user_id', 64).notNullable().references('users.id').onDelete('CASCADE');
    t.string('device_id', 64).nullable().index();
    t.string('name', 64).notNullable();
    t.text('public_key').notNullable();
    t.bigInteger('counter').notNullable();
    t.text('transports').notNullable();
    t.string('attachment', 16).nullable();
    t.string('aaguid', 36).notNullable();
    t.boolean('backup_eligible').notNullable();
    t.boolean('backed_up').notNullable();
    t.string('attestation_format', 32).notNullable();
    t.boolean('attestation_verified').notNullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('expires_at').notNullable();
    t.bigInteger('last_used_at').nullable();
    t.bigInteger('counter_flagged_at').nullable();
    t.bigInteger('revoked_at').nullable();
    t.text('revoked_reason').nullable();
    t.index(['user_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('passkeys');
}
