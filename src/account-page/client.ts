// The account page signs in through Latchkey's own authorization endpoint as the built-in first-party
// client `latchkey-account`, so the same policies (and the account-page rule) decide who gets in.
import { ensureFirstPartyClient } from '../oidc/first-party.js';
import type { ClientRepository } from '../store/clients.js';
import { accountSignIn } from './session.js';

export function accountRedirectUri(issuer: string): string {
  return accountSignIn.redirectUri(issuer);
}

/** Registers (or re-points, when the issuer changed) the built-in account client. */
export async function ensureAccountClient(clients: ClientRepository, issuer: string): Promise<void> {
  const { clientId, clientName } = accountSignIn.settings;
  await ensureFirstPartyClient(clients, { clientId, name: clientName, redirectUri: accountRedirectUri(issuer) });
}
