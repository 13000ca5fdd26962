// Audit events carry the sign-in (interaction uid) they belong to, so that one sign-in's whole story —
// each method tried, the policy decision, the outcome — can be read back together (admin console, API).
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('audit_events', (table) => {
    table.string('sign_in', 64).nullable();
    table.index(['sign_in'], 'audit_events_sign_in');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('audit_events', (table) => {
    table.dropIndex(['sign_in'], 'audit_events_sign_in');
    table.dropColumn('sign_in');
  });
}
