// A real OpenID Connect relying party: openid-client (panva) discovering Latchkey over TLS.
import * as oidc from 'openid-client';
import type { TestServer } from './server.js';

export interface RelyingParty {
  config: oidc.Configuration;
  redirectUri: string;
  /** Builds an authorization URL with PKCE, state and nonce; keeps the secrets for the callback. */
  start(extra?: Record<string, string>): Promise<{ url: string; verifier: string; state: string; nonce: string }>;
  finish(
    callback: URL,
    started: { verifier: string; state: string; nonce: string },
  ): Promise<oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers>;
}

export const REDIRECT_URI = 'https://rp.example.test/callback';

/**
 * Discovers Latchkey as client `clientId` authenticating with `auth`, using the server's fetch (which
 * trusts its development certificate) for discovery and every later request.
 */
export async function discover(
  server: Pick<TestServer, 'issuer' | 'fetch'>,
  clientId: string,
  auth: oidc.ClientAuth,
  clientSecret?: string,
): Promise<oidc.Configuration> {
  const customFetch = server.fetch as oidc.CustomFetch;
  const config = await oidc.discovery(new URL(server.issuer), clientId, clientSecret, auth, {
    [oidc.customFetch]: customFetch,
  } as oidc.DiscoveryRequestOptions);
  config[oidc.customFetch] = customFetch;
  return config;
}

export async function relyingParty(
  server: Pick<TestServer, 'issuer' | 'fetch'>,
  clientId: string,
  clientSecret: string | null,
  redirectUri = REDIRECT_URI,
): Promise<RelyingParty> {
  const auth = clientSecret ? oidc.ClientSecretBasic(clientSecret) : oidc.None();
  const config = await discover(server, clientId, auth, clientSecret ?? undefined);
  return {
    config,
    redirectUri,
    async start(extra = {}) {
      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope: 'openid profile email',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        nonce,
        ...extra,
      });
      return { url: url.toString(), verifier, state, nonce };
    },
    async finish(callback, started) {
      return oidc.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: started.verifier,
        expectedState: started.state,
        expectedNonce: started.nonce,
        idTokenExpected: true,
      });
    },
  };
}

/**
 * The OAuth error a rejected openid-client call carries, whether the server answered with a JSON error
 * body (ResponseBodyError) or only a WWW-Authenticate challenge (userinfo, basic client auth); throws if
 * the call did not fail with an OAuth error (a TLS failure, a bug), so a test cannot pass for that.
 */
export async function oauthError(call: Promise<unknown>): Promise<{ status: number | undefined; error: string }> {
  const failure = (await call.then(
    () => {
      throw new Error('expected the call to fail with an OAuth error, it succeeded');
    },
    (error: unknown) => error,
  )) as { status?: number; error?: string; cause?: unknown };
  const challenge = Array.isArray(failure.cause)
    ? (failure.cause as Array<{ parameters?: { error?: string } }>)[0]?.parameters?.error
    : undefined;
  const error = failure.error ?? challenge;
  if (typeof error !== 'string') throw failure;
  return { status: failure.status, error };
}
