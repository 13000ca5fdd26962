// The port oidc-provider's artifacts are stored through, and the Client adapter shared by both stores:
// clients always live in SQL; sessions, interactions, codes, grants and tokens go to SQL or Redis.
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

/** Read-only adapter over the clients table: clients are managed by `latchkey clients`, not by RPs. */
export class ClientAdapter implements Adapter {
  constructor(private readonly clients: ClientRepository) {}

  async find(id: string): Promise<AdapterPayload | undefined> {
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
