// Core tables: people, groups, OIDC clients, keys, settings, the audit log, and the SQL store for
// oidc-provider's short-lived artifacts and rate-limit counters. Timestamps are epoch milliseconds.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('users', (t) => {
    t.string('id', 64).primary();
    t.string('username', 255).notNullable().unique();
    t.string('email', 320).nullable().unique();
    t.string('name', 255).nullable();
    t.text('password_hash').nullable();
    t.text('totp_secret_sealed').nullable();
    t.bigInteger('totp_enrolled_at').nullable();
    t.bigInteger('totp_last_step').nullable();
    t.boolean('disabled').notNullable().defaultTo(false);
    t.bigInteger('sessions_revoked_at').nullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
  });
  await knex.schema.createTable('groups', (t) => {
    t.string('id', 64).primary();
    t.string('name', 255).notNullable().unique();
    t.text('description').nullable();
    t.bigInteger('created_at').notNullable();
  });
  await knex.schema.createTable('group_members', (t) => {
    t.string('group_id', 64).notNullable().references('groups.id').onDelete('CASCADE');
    t.string('user_id', 64).notNullable().references('users.id').onDelete('CASCADE');
    t.primary(['group_id', 'user_id']);
    t.index(['user_id']);
  });
  await knex.schema.createTable('clients', (t) => {
    t.string('client_id', 255).primary();
    t.string('name', 255).notNullable();
    t.string('kind', 32).notNullable().defaultTo('first_party');
    t.text('metadata').notNullable();
    t.text('secret_sealed').nullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
  });
  await knex.schema.createTable('signing_keys', (t) => {
    t.string('kid', 128).primary();
    t.string('alg', 16).notNullable();
    t.text('public_jwk').notNullable();
    t.text('private_jwk_sealed').notNullable();
    t.string('status', 16).notNullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('retired_at').nullable();
  });
  await knex.schema.createTable('cookie_keys', (t) => {
    t.increments('id').primary();
    t.text('key_sealed').notNullable();
    t.bigInteger('created_at').notNullable();
  });
  await knex.schema.createTable('settings', (t) => {
    t.string('key', 128).primary();
    t.text('value').notNullable();
    t.bigInteger('updated_at').notNullable();
    t.string('updated_by', 255).nullable();
  });
  await knex.schema.createTable('audit_events', (t) => {
    t.bigIncrements('id').primary();
    t.bigInteger('at').notNullable().index();
    t.string('event', 64).notNullable().index();
    t.string('outcome', 32).notNullable();
    t.string('actor', 255).nullable();
    t.string('user_id', 64).nullable().index();
    t.string('username', 255).nullable();
    t.string('client_id', 255).nullable().index();
    t.string('ip', 64).nullable();
    t.text('user_agent').nullable();
    t.string('device_id', 64).nullable();
    t.text('reasons').notNullable();
    t.text('detail').nullable();
  });
  await knex.schema.createTable('oidc_payloads', (t) => {
    t.string('model', 64).notNullable();
    t.string('id', 255).notNullable();
    t.text('payload').notNullable();
    t.string('grant_id', 255).nullable().index();
    t.string('user_code', 255).nullable().index();
    t.string('uid', 255).nullable().index();
    t.string('account_id', 64).nullable().index();
    t.bigInteger('expires_at').nullable().index();
    t.bigInteger('consumed_at').nullable();
    t.primary(['model', 'id']);
  });
  await knex.schema.createTable('rate_limits', (t) => {
    t.string('key', 512).primary();
    t.integer('count').notNullable();
    t.bigInteger('reset_at').notNullable().index();
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [
    'rate_limits',
    'oidc_payloads',
    'audit_events',
    'settings',
    'cookie_keys',
    'signing_keys',
    'clients',
    'group_members',
    'groups',
    'users',
  ]) {
    await knex.schema.dropTableIfExists(table);
  }
}
