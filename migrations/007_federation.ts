// Federation: what a factor client (another IdP that sends its users here to prove the device) is set up to
// do, and attributes of users that another IdP matches them on (an Entra object id, an employee number).
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('clients', (t) => {
    // JSON of src/federation/settings.ts (FactorSettings); null for clients that are not factors.
    t.text('factor').nullable();
  });
  await knex.schema.createTable('user_attributes', (t) => {
    t.string('user_id', 64).notNullable().references('users.id').onDelete('CASCADE');
    t.string('name', 64).notNullable();
    t.string('value', 512).notNullable();
    t.primary(['user_id', 'name']);
    // Another IdP's claim finds the user by an attribute value: one user per value of one attribute.
    t.unique(['name', 'value']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('user_attributes');
  await knex.schema.alterTable('clients', (t) => {
    t.dropColumn('factor');
  });
}
