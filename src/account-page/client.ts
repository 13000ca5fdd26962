// The account page signs in through Latchkey's own authorization endpoint as the built-in first-party
// client `latchkey-account`, so the same policies (and the account-page rule) decide who gets in.
import { ACCOUNT_CLIENT_ID } from '../policies/index.js';
import type { ClientRepository } from '../store/clients.js';

export function accountRedirectUri(issuer: string): string {
  return `${issuer}/account/callback`;
}

/** Registers (or re-points, when the issuer changed) the built-in account client. */
export async function ensureAccountClient(clients: ClientRepository, issuer: string): Promise<void> {
  const redirectUri = accountRedirectUri(issuer);
  const existing = await clients.find(ACCOUNT_CLIENT_ID);
  const current = existing?.metadata.redirect_uris as string[] | undefined;
  if (existing && current?.length === 1 && current[0] === redirectUri) return;
  if (existing) await clients.remove(ACCOUNT_CLIENT_ID);
  await clients.add({
    name: 'Latchkey account',
    kind: 'first_party',
    secret: null,
    metadata: {
      client_id: ACCOUNT_CLIENT_ID,
      client_name: 'Latchkey account',
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      id_token_signed_response_alg: 'ES256',
    },
  });
}
