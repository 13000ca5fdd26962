// /clients: relying parties, factor clients (Okta, Entra, generic) and admin API clients. A secret appears
// in the answer that creates or rotates it, and never again.
import { z } from 'zod';
import { FACTOR_IDPS } from '../../federation/settings.js';
import { namedBy } from '../../admin/option-names.js';
import { route, text } from '../route.js';
import type { ResourceDeps } from './deps.js';

const uri = text(2048);
/** A public JWK: string members (kty, n, e, crv, x, y, kid, alg, use), key_ops and x5c lists, ext. */
const jwk = z.record(
  z.string().max(64),
  z.union([z.string().max(16_384), z.boolean(), z.array(z.string().max(16_384)).max(16)]),
);
const factorSettings = {
  preferredUsername: text(80).optional(),
  unmanaged: z.enum(['deny', 'device-context']).optional(),
  sessionLifetime: text(16).optional(),
  appId: z.string().max(256).optional(),
  match: text(128).optional(),
  entraJwksUri: uri.optional(),
};

/** The client options as this API's fields name them, for the services' refusals. */
const API_FIELDS = namedBy({
  redirectUri: 'redirectUris',
  postLogoutRedirectUri: 'postLogoutRedirectUris',
  grantType: 'grantTypes',
  jwksFile: 'jwks',
  public: 'authMethod "none"',
});

export function clientRoutes({ admin }: ResourceDeps) {
  return [
    route({
      method: 'get',
      path: '/clients',
      scope: 'latchkey.clients.read',
      tag: 'clients',
      summary: 'List clients (never their secrets)',
      handle: async () => ({ clients: await admin.clients.list() }),
    }),
    route({
      method: 'post',
      path: '/clients',
      scope: 'latchkey.clients.manage',
      tag: 'clients',
      summary: 'Register a relying party; the secret is in this answer only',
      status: 201,
      body: z.strictObject({
        name: text(255),
        clientId: text(128).optional(),
        redirectUris: z.array(uri).max(20).optional(),
        postLogoutRedirectUris: z.array(uri).max(20).optional(),
        grantTypes: z
          .array(z.enum(['authorization_code', 'refresh_token', 'client_credentials']))
          .max(3)
          .optional(),
        authMethod: z.enum(['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none']).optional(),
        kind: z.enum(['first_party', 'third_party']).default('first_party'),
        idTokenAlg: z.enum(['RS256', 'ES256']).default('RS256'),
        jwksUri: uri.optional(),
        jwks: z.strictObject({ keys: z.array(jwk).min(1).max(20) }).optional(),
      }),
      handle: ({ body, origin }) =>
        admin.clients.create(
          {
            ...body,
            redirectUri: body.redirectUris,
            postLogoutRedirectUri: body.postLogoutRedirectUris,
            grantType: body.grantTypes,
          },
          origin,
          API_FIELDS,
        ),
    }),
    route({
      method: 'post',
      path: '/clients/factor',
      scope: 'latchkey.clients.manage',
      tag: 'clients',
      summary: 'Register another IdP as a factor client; answers with what to paste into it (and the secret, once)',
      status: 201,
      body: z.strictObject({
        idp: z.enum(FACTOR_IDPS),
        name: text(255).optional(),
        clientId: text(128).optional(),
        oktaDomain: text(253).optional(),
        tenantId: text(64).optional(),
        cloud: z.enum(['global', 'usgov', 'china']).optional(),
        redirectUris: z.array(uri).max(20).optional(),
        authMethod: z.enum(['client_secret_post', 'client_secret_basic', 'private_key_jwt']).optional(),
        jwksUri: uri.optional(),
        ...factorSettings,
      }),
      handle: ({ body, origin }) => {
        const { idp, redirectUris, ...options } = body;
        return admin.clients.createFactor(idp, { ...options, redirectUri: redirectUris }, origin, API_FIELDS);
      },
    }),
    route({
      method: 'post',
      path: '/clients/admin',
      scope: 'latchkey.clients.manage',
      tag: 'clients',
      summary: 'Register an admin API client (client credentials) limited to the scopes given',
      status: 201,
      body: z.strictObject({
        name: text(255),
        clientId: text(128).optional(),
        scopes: z.array(text(64)).min(1).max(20),
      }),
      handle: ({ body, origin }) => admin.clients.createAdmin(body, origin),
    }),
    route({
      method: 'get',
      path: '/clients/:clientId',
      scope: 'latchkey.clients.read',
      tag: 'clients',
      summary: 'Show a client (metadata, kind, factor settings; never the secret)',
      handle: ({ params }) => admin.clients.show(params.clientId!),
    }),
    route({
      method: 'get',
      path: '/clients/:clientId/factor-setup',
      scope: 'latchkey.clients.read',
      tag: 'clients',
      summary: "What to paste into a factor client's IdP (Okta, Entra), without the secret",
      handle: ({ params }) => admin.clients.factorSetup(params.clientId!),
    }),
    route({
      method: 'patch',
      path: '/clients/:clientId/factor',
      scope: 'latchkey.clients.manage',
      tag: 'clients',
      summary: 'Change what a factor client is set up to do',
      body: z.strictObject(factorSettings),
      handle: ({ params, body, origin }) => admin.clients.updateFactor(params.clientId!, body, origin, API_FIELDS),
    }),
    route({
      method: 'post',
      path: '/clients/:clientId/secret',
      scope: 'latchkey.clients.manage',
      tag: 'clients',
      summary: 'Rotate the secret: the new one is in this answer only, the old one stops working at once',
      handle: ({ params, origin }) => admin.clients.rotateSecret(params.clientId!, origin),
    }),
    route({
      method: 'delete',
      path: '/clients/:clientId',
      scope: 'latchkey.clients.manage',
      tag: 'clients',
      summary: 'Remove a client',
      status: 204,
      handle: ({ params, origin }) => admin.clients.remove(params.clientId!, origin),
    }),
  ];
}
