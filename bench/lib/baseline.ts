// The reference point: a bare oidc-provider on HTTPS with the same certificate, in-memory storage (its
// default adapter), the same clients registered statically, and an interaction that signs a fixed account
// in at once and grants what is asked. Whatever Latchkey spends beyond this is Latchkey's own cost.
import { randomBytes } from 'node:crypto';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { Provider, type Configuration, type Interaction, type InteractionResults } from 'oidc-provider';
import { HttpUser, expectCallback } from '../../test/helpers/http-user.js';
import { REDIRECT_URI } from '../../test/helpers/rp.js';
import { fetchTrusting, type Target } from './target.js';

export const BASELINE_ACCOUNT = 'bench';

/** The lifetimes of config/default.yaml, so both systems keep artifacts equally long. */
const TTL_SECONDS = {
  AccessToken: 3600,
  AuthorizationCode: 60,
  ClientCredentials: 600,
  IdToken: 3600,
  Interaction: 1800,
  Session: 1209600,
  Grant: 1209600,
  RefreshToken: 1209600,
};

/** Starts the baseline on 127.0.0.1 with the given TLS certificate and key (PEM). */
export async function startBaseline(tls: { cert: string; key: string }): Promise<Target & { provider: Provider }> {
  const server = https.createServer({ cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2' });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const issuer = `https://localhost:${(server.address() as AddressInfo).port}`;
  const codeClient = { clientId: 'bench-rp', clientSecret: randomBytes(32).toString('base64url') };
  const serviceClient = { clientId: 'bench-service', clientSecret: randomBytes(32).toString('base64url') };

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: codeClient.clientId,
        client_secret: codeClient.clientSecret,
        redirect_uris: [REDIRECT_URI],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
        id_token_signed_response_alg: 'RS256',
      },
      {
        client_id: serviceClient.clientId,
        client_secret: serviceClient.clientSecret,
        redirect_uris: [],
        grant_types: ['client_credentials'],
        response_types: [],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    jwks: { keys: await signingKeys() } as Configuration['jwks'],
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'preferred_username'] },
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: false }, clientCredentials: { enabled: true } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    ttl: TTL_SECONDS,
    findAccount: (_ctx, sub) => ({
      accountId: sub,
      claims: () => ({
        sub,
        email: 'bench@example.com',
        email_verified: true,
        preferred_username: 'bench@example.com',
      }),
    }),
  });
  provider.on('server_error', (_ctx, error) =>
    process.stderr.write(`baseline server_error: ${error.stack ?? error}\n`),
  );
  provider.use(async (ctx, next) => {
    if (!/^\/interaction\/[^/]+$/.test(ctx.path)) return next();
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const result: InteractionResults =
      details.prompt.name === 'login'
        ? { login: { accountId: BASELINE_ACCOUNT } }
        : { consent: { grantId: await grantAll(provider, details) } };
    ctx.redirect(await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false }));
  });
  server.on('request', provider.callback());

  const { fetch, agent } = fetchTrusting(tls.cert);
  return {
    name: 'baseline',
    provider,
    issuer,
    fetch,
    codeClient,
    serviceClient,
    newUser: () => new HttpUser(fetch, issuer),
    async signIn(user, authorizationUrl) {
      return expectCallback(await user.go(authorizationUrl));
    },
    async close() {
      await agent.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

/** Grants everything the consent prompt reports missing (the auto-consent of a first-party client). */
async function grantAll(provider: Provider, details: Interaction): Promise<string> {
  const accountId = details.session?.accountId;
  if (!accountId) throw new Error('baseline consent without a signed-in account');
  const existing = details.grantId ? await provider.Grant.find(details.grantId) : undefined;
  const grant = existing ?? new provider.Grant({ accountId, clientId: String(details.params.client_id) });
  const missing = details.prompt.details as {
    missingOIDCScope?: string[];
    missingOIDCClaims?: string[];
    missingResourceScopes?: Record<string, string[]>;
  };
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
    grant.addResourceScope(resource, scopes.join(' '));
  }
  return grant.save();
}

/** An RS256 and an ES256 signing key, as Latchkey publishes. */
async function signingKeys(): Promise<JWK[]> {
  const keys: JWK[] = [];
  for (const alg of ['RS256', 'ES256'] as const) {
    const { privateKey } = await generateKeyPair(alg, { extractable: true });
    keys.push({ ...(await exportJWK(privateKey)), alg, use: 'sig', kid: `baseline-${alg.toLowerCase()}` });
  }
  return keys;
}
