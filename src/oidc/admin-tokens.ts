// The admin API's bearer check, in-process: a client-credentials token that oidc-provider issued to an admin
// client (read back from the provider's own store, opaque), or a break-glass API token. The client is read
// again on every request, so removing it, re-kinding it or narrowing its scopes ends its tokens at once.
import type { Provider } from 'oidc-provider';
import {
  isAdminApiScope,
  type AdminApiCaller,
  type AdminBearerVerifier,
  type AdminTokenVerifier,
} from '../http/admin-auth.js';
import type { StoredClient } from '../store/clients.js';
import { asOutage } from '../store/outage.js';

/** The claim a client-credentials token keeps its client's revision in (provider.ts extraTokenClaims). */
export const ADMIN_TOKEN_REVISION_CLAIM = 'latchkey_client_revision';

export interface AdminBearerVerifierDeps {
  /** The provider in use (ProviderHost.provider: it is rebuilt when the signing keys change). */
  provider: () => Provider;
  /** The clients as stored now (ClientRepository). */
  clients: { find(clientId: string): Promise<StoredClient | undefined> };
  /** The break-glass API tokens (AdminTokenRepository). */
  apiTokens: AdminTokenVerifier;
}

/** Verifies admin API bearer tokens: break-glass API tokens first (they carry a prefix), then admin clients'. */
export function adminBearerVerifier(deps: AdminBearerVerifierDeps): AdminBearerVerifier {
  return {
    async verify(token, now) {
      try {
        return (await tokenCaller(deps.apiTokens, token, now)) ?? (await clientCaller(deps, token, now));
      } catch (error) {
        // A store that cannot answer is not a verdict on the token: 503, never 401 or 500.
        throw asOutage(error);
      }
    },
  };
}

/** The admin client a client-credentials token stands for, with the scopes both still hold; else undefined. */
async function clientCaller(
  deps: AdminBearerVerifierDeps,
  token: string,
  now: number,
): Promise<AdminApiCaller | undefined> {
  const issued = await deps.provider().ClientCredentials.find(token);
  if (!issued?.isValid || issued.exp === undefined || issued.exp * 1000 <= now) return undefined;
  // Sender-constrained tokens (DPoP, mTLS) would need a proof this check does not take: none are issued.
  if (issued.isSenderConstrained() || typeof issued.clientId !== 'string') return undefined;
  const client = await deps.clients.find(issued.clientId);
  if (client?.kind !== 'admin') return undefined;
  // A rotated secret ends the tokens it got: each token carries the revision of its client's row when it was
  // issued (provider.ts extraTokenClaims), and any change of the client since (rotation, re-creation) differs.
  if (issued.extra?.[ADMIN_TOKEN_REVISION_CLAIM] !== String(client.updatedAt)) return undefined;
  const registered = new Set(typeof client.metadata.scope === 'string' ? client.metadata.scope.split(' ') : []);
  const scopes = (issued.scope ?? '').split(' ').filter((scope) => isAdminApiScope(scope) && registered.has(scope));
  return { actor: `client:${client.clientId}`, clientId: client.clientId, scopes };
}

/** The caller a break-glass API token stands for; undefined when it is unknown, expired or revoked. */
async function tokenCaller(
  apiTokens: AdminTokenVerifier,
  token: string,
  now: number,
): Promise<AdminApiCaller | undefined> {
  const record = await apiTokens.authenticate(token, now);
  return record && { actor: `token:${record.name}`, scopes: record.scopes };
}
