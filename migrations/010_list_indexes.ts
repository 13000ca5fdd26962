// Indexes for the administrators' paged lists (store/pages.ts): devices newest first, certificates newest
// first, and the certificates that expire soonest (the console's overview). Without them every page read
// and sorted the whole table.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('devices', (table) => {
    table.index(['enrolled_at', 'id'], 'devices_enrolled');
  });
  await knex.schema.alterTable('device_certificates', (table) => {
    table.index(['issued_at', 'serial'], 'device_certificates_issued');
    table.index(['not_after'], 'device_certificates_not_after');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('device_certificates', (table) => {
    table.dropIndex(['not_after'], 'device_certificates_not_after');
    table.dropIndex(['issued_at', 'serial'], 'device_certificates_issued');
  });
  await knex.schema.alterTable('devices', (table) => {
    table.dropIndex(['enrolled_at', 'id'], 'devices_enrolled');
  });
}
