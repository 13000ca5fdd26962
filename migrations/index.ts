// The ordered list of migrations. Listed in code (not discovered from disk) so the same set runs from
// TypeScript sources, the compiled build and tests alike, on SQLite and PostgreSQL.
import type { Knex } from 'knex';
import * as core from './001_core.js';
import * as deviceTrust from './002_device_trust.js';
import * as scep from './005_scep.js';

export interface Migration {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

export const MIGRATIONS: ReadonlyArray<readonly [name: string, migration: Migration]> = [
  ['001_core', core],
  ['002_device_trust', deviceTrust],
  // 003 and 004 are reserved; knex applies whatever is pending in this order.
  ['005_scep', scep],
];
