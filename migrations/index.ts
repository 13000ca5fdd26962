// The ordered list of migrations. Listed in code (not discovered from disk) so the same set runs from
// TypeScript sources, the compiled build and tests alike, on SQLite and PostgreSQL.
import type { Knex } from 'knex';
import * as core from './001_core.js';
import * as deviceTrust from './002_device_trust.js';
import * as clusterState from './003_cluster_state.js';
import * as sessionProofs from './004_session_proofs.js';
import * as scep from './005_scep.js';
import * as passkeys from './006_passkeys.js';
import * as federation from './007_federation.js';
import * as cacheRevisions from './008_cache_revisions.js';
import * as auditSignIn from './009_audit_sign_in.js';
import * as listIndexes from './010_list_indexes.js';

export interface Migration {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

export const MIGRATIONS: ReadonlyArray<readonly [name: string, migration: Migration]> = [
  ['001_core', core],
  ['002_device_trust', deviceTrust],
  ['003_cluster_state', clusterState],
  ['004_session_proofs', sessionProofs],
  ['005_scep', scep],
  ['006_passkeys', passkeys],
  ['007_federation', federation],
  ['008_cache_revisions', cacheRevisions],
  ['009_audit_sign_in', auditSignIn],
  ['010_list_indexes', listIndexes],
];
