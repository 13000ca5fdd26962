// What every node of a cluster follows: the published policy sets (the one in force is the newest), the
// nodes themselves (what each has applied, for `latchkey policy reload` and `keys list`), and the time a
// rotated signing key starts to sign (until then it is only published in the JWKS).
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('policy_sets', (t) => {
    t.increments('version').primary();
    t.text('text').notNullable();
    t.string('source', 1024).notNullable();
    t.string('sha256', 64).notNullable().index();
    t.integer('policies').notNullable();
    t.bigInteger('published_at').notNullable();
    t.string('published_by', 255).nullable();
  });
  await knex.schema.createTable('cluster_nodes', (t) => {
    t.string('id', 64).primary();
    t.string('hostname', 255).notNullable();
    t.integer('pid').notNullable();
    t.bigInteger('started_at').notNullable();
    t.bigInteger('seen_at').notNullable().index();
    t.integer('policy_version').nullable();
    t.string('keys_fingerprint', 128).nullable();
  });
  await knex.schema.alterTable('signing_keys', (t) => {
    // null: signs as soon as it is the newest key of its algorithm (keys created before this migration).
    t.bigInteger('activates_at').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('signing_keys', (t) => {
    t.dropColumn('activates_at');
  });
  await knex.schema.dropTableIfExists('cluster_nodes');
  await knex.schema.dropTableIfExists('policy_sets');
}
