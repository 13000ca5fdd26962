// What the admin API tests share: admin clients made as `latchkey clients add-admin` makes them, access
// tokens from a real client-credentials grant (openid-client), and requests over the server's TLS.
import * as oidc from 'openid-client';
import type { AdminApiScope } from '../../../src/admin/scopes.js';
import { relyingParty } from '../../helpers/rp.js';
import type { TestServer } from '../../helpers/server.js';
import { clientMetadataValidator } from '../../../src/oidc/client-validation.js';
import { ClientAdmin } from '../../../src/admin/clients.js';

export interface ApiAnswer {
  status: number;
  type: string | null;
  headers: Headers;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON of many shapes, checked by each test
}

/** An admin client holding `scopes` and an access token it got by the client-credentials grant. */
export async function adminToken(server: TestServer, scopes: AdminApiScope[], name = 'automation') {
  const s = server.app.services;
  const admins = new ClientAdmin({
    clients: s.clients,
    audit: s.audit,
    issuer: server.issuer,
    validateMetadata: clientMetadataValidator(server.app.provider),
  });
  const { client, secret } = await admins.createAdmin({ name, scopes }, { actor: 'test' });
  const rp = await relyingParty(server, client.clientId, secret);
  const tokens = await oidc.clientCredentialsGrant(rp.config, { scope: scopes.join(' ') });
  return { clientId: client.clientId, token: tokens.access_token };
}

/** Calls the admin API with `token`; `body` is sent as JSON unless it is a string (sent as is). */
export async function call(
  server: TestServer,
  token: string | undefined,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<ApiAnswer> {
  const response = await server.fetch(`${server.issuer}/admin/api/v1${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    headers: response.headers,
    body: text ? JSON.parse(text) : undefined,
  };
}
