// The port oidc-provider's artifacts are stored through, what both stores (SQL and Redis) share: the
// read-only Client adapter, ids that may reach a store at all, the answer to a lost consume race, and the
// guard that turns a store outage into `temporarily_unavailable` (503) instead of a server_error.
import { errors, type Adapter, type AdapterPayload } from 'oidc-provider';
import type { ClientRepository } from './clients.js';
import { isStoreOutage, OUTAGE_RETRY_AFTER_SECONDS } from './outage.js';

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
 * What oidc-provider answers when it sees an artifact already consumed: a request that lost the consume
 * race must fail the same way, after the store revoked the grant, as a sequential replay does.
 */
export function replayError(model: string): Error {
  switch (model) {
    case 'RefreshToken':
      return new errors.InvalidGrant('refresh token already used');
    case 'PushedAuthorizationRequest':
      return new errors.InvalidRequestUri('request_uri is invalid, expired, or was already used');
    case 'DeviceCode':
      return new errors.InvalidGrant('device code already consumed');
    case 'BackchannelAuthenticationRequest':
      return new errors.InvalidGrant('backchannel authentication request already consumed');
    default:
      return new errors.InvalidGrant('authorization code already consumed');
  }
}

/** temporarily_unavailable with HTTP 503: what a relying party or browser gets while a store is down. */
export class StoreTemporarilyUnavailable extends errors.TemporarilyUnavailable {
  static readonly retryAfterSeconds = OUTAGE_RETRY_AFTER_SECONDS;
  constructor(cause: unknown) {
    super('the service is temporarily unavailable, try again in a few seconds', { cause });
    this.status = 503;
    this.statusCode = 503;
    // oidc-provider hides unexposed errors (>= 500) behind server_error: this one is meant to be seen.
    this.expose = true;
  }
}

/**
 * Wraps an adapter so that lookups of unstorable ids find nothing, and a store outage surfaces as
 * StoreTemporarilyUnavailable (oidc-provider then answers temporarily_unavailable, at the redirect_uri
 * where it can) instead of a 500 server_error.
 */
export function guardedAdapter(adapter: Adapter): Adapter {
  const guard = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      throw isStoreOutage(error) ? new StoreTemporarilyUnavailable(error) : error;
    }
  };
  return {
    upsert: (id, payload, expiresIn) => guard(() => adapter.upsert(id, payload, expiresIn)),
    find: (id) => (isStorableId(id) ? guard(() => adapter.find(id)) : Promise.resolve(undefined)),
    findByUid: (uid) => (isStorableId(uid) ? guard(() => adapter.findByUid(uid)) : Promise.resolve(undefined)),
    findByUserCode: (code) =>
      isStorableId(code) ? guard(() => adapter.findByUserCode(code)) : Promise.resolve(undefined),
    consume: (id) => guard(() => adapter.consume(id)),
    destroy: (id) => (isStorableId(id) ? guard(() => adapter.destroy(id)) : Promise.resolve()),
    revokeByGrantId: (grantId) =>
      isStorableId(grantId) ? guard(() => adapter.revokeByGrantId(grantId)) : Promise.resolve(),
  };
}
