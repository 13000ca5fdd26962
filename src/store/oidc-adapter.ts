// The port oidc-provider's artifacts are stored through, and what both stores (SQL and Redis) share: the
// read-only Client adapter, ids that may reach a store at all, and the error of a lost consume race. The
// store knows nothing of OAuth errors: src/oidc/adapter.ts maps these to what oidc-provider answers.
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { ClientRepository } from './clients.js';

export interface OidcStore {
  /** The adapter class oidc-provider instantiates per model name. */
  adapterFor(name: string): Adapter;
  /** Deletes every session, grant, code and token of an account at once. */
  revokeByAccountId(accountId: string): Promise<number>;
  /** Drops expired rows (no-op where the store expires them itself). */
  purgeExpired(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Ids and lookup values a store is asked about: non-empty, at most 2 KiB, no control characters.
 * PostgreSQL refuses NUL in text with an encoding error (a 500), SQLite and Redis store it: anything
 * else is answered "not found" on every backend alike, before it reaches a store.
 */
export function isStorableId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= 2048 && !/\p{Cc}/u.test(value);
}

/** Read-only adapter over the clients table: clients are managed by `latchkey clients`, not by RPs. */
export class ClientAdapter implements Adapter {
  constructor(private readonly clients: ClientRepository) {}

  async find(id: string): Promise<AdapterPayload | undefined> {
    if (!isStorableId(id)) return undefined;
    return (await this.clients.findForProvider(id)) as AdapterPayload | undefined;
  }
  async upsert(): Promise<void> {
    throw new Error('clients are managed with `latchkey clients`, not through the provider');
  }
  async findByUserCode(): Promise<undefined> {
    return undefined;
  }
  async findByUid(): Promise<undefined> {
    return undefined;
  }
  async consume(): Promise<void> {}
  async destroy(): Promise<void> {}
  async revokeByGrantId(): Promise<void> {}
}

/** Seconds → absolute expiry in ms, or null for none. */
export function expiryFrom(expiresIn: number | undefined, now = Date.now()): number | null {
  return expiresIn && expiresIn > 0 ? now + expiresIn * 1000 : null;
}

/**
 * consume() lost the race: another request consumed the artifact first (or a replay already revoked it),
 * and the grant it belonged to has been revoked. The protocol layer answers it as a replay.
 */
export class ConsumeConflict extends Error {
  constructor(readonly model: string) {
    super(`${model} was already consumed`);
    this.name = 'ConsumeConflict';
  }
}

/** Wraps an adapter so that lookups of unstorable ids find nothing, on every backend alike. */
export function storableIdsOnly(adapter: Adapter): Adapter {
  return {
    upsert: (id, payload, expiresIn) => adapter.upsert(id, payload, expiresIn),
    find: async (id) => (isStorableId(id) ? adapter.find(id) : undefined),
    findByUid: async (uid) => (isStorableId(uid) ? adapter.findByUid(uid) : undefined),
    findByUserCode: async (code) => (isStorableId(code) ? adapter.findByUserCode(code) : undefined),
    consume: (id) => adapter.consume(id),
    destroy: async (id) => (isStorableId(id) ? adapter.destroy(id) : undefined),
    revokeByGrantId: async (grantId) => (isStorableId(grantId) ? adapter.revokeByGrantId(grantId) : undefined),
  };
}
