// The store's adapters as oidc-provider sees them: a lost consume race is answered exactly as oidc-provider
// answers a replay (invalid_grant; the store has already revoked the grant), and a store outage as
// temporarily_unavailable with HTTP 503 (at the redirect_uri where oidc-provider can), never server_error.
import { errors, type Adapter } from 'oidc-provider';
import { ConsumeConflict } from '../store/oidc-adapter.js';
import { isStoreOutage, OUTAGE_RETRY_AFTER_SECONDS } from '../store/outage.js';

/** What oidc-provider answers when it sees an artifact of `model` already consumed. */
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

/** `adapter` with the store's failures turned into the errors oidc-provider answers with. */
export function protocolAdapter(adapter: Adapter): Adapter {
  const guard = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      if (error instanceof ConsumeConflict) throw replayError(error.model);
      throw isStoreOutage(error) ? new StoreTemporarilyUnavailable(error) : error;
    }
  };
  return {
    upsert: (id, payload, expiresIn) => guard(() => adapter.upsert(id, payload, expiresIn)),
    find: (id) => guard(() => adapter.find(id)),
    findByUid: (uid) => guard(() => adapter.findByUid(uid)),
    findByUserCode: (code) => guard(() => adapter.findByUserCode(code)),
    consume: (id) => guard(() => adapter.consume(id)),
    destroy: (id) => guard(() => adapter.destroy(id)),
    revokeByGrantId: (grantId) => guard(() => adapter.revokeByGrantId(grantId)),
  };
}
