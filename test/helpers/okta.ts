// Okta as it uses Latchkey as an OpenID Connect identity provider (an IdP factor or a device posture
// provider), acting on the wire exactly as Okta does: it sends the user to /auth with response_type=code,
// scope "openid profile email", state, nonce and its callback; exchanges the code at /token with
// client_secret_post; verifies the id_token against the JWKS with jose (RS256, iss, aud, nonce); matches the
// user on preferred_username; and reads device_context (from the id_token, and from userinfo).
import { randomBytes } from 'node:crypto';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import type { TestServer } from './server.js';

export interface OktaRequest {
  url: string;
  state: string;
  nonce: string;
}

/** What Okta makes of its callback: the error Latchkey sent, or the verified claims and userinfo. */
export type OktaOutcome =
  | { kind: 'error'; error: string; description: string | null; state: string | null }
  | { kind: 'signed-in'; claims: JWTPayload; userinfo: Record<string, unknown>; username: string };

export class EmulatedOkta {
  /** Every authorization request Okta sent and every callback it received, to count round trips. */
  readonly authorizationRequests: string[] = [];
  readonly callbacks: URL[] = [];

  /** Okta's callback for the org at `domain` (a browser test serves it on a *.localhost host of its own). */
  readonly callbackUri: string;

  constructor(
    private readonly server: TestServer,
    readonly clientId: string,
    private readonly clientSecret: string,
    readonly domain = 'acme.okta.com',
  ) {
    this.callbackUri = `https://${domain}/oauth2/v1/authorize/callback`;
  }

  /** The authorization request Okta redirects the user with (Okta sends login_hint only sometimes). */
  authorizationRequest(extra: Record<string, string> = {}): OktaRequest {
    const state = randomBytes(16).toString('base64url');
    const nonce = randomBytes(16).toString('base64url');
    const params = new URLSearchParams({
      client_id: this.clientId,
      response_type: 'code',
      scope: 'openid profile email',
      redirect_uri: this.callbackUri,
      state,
      nonce,
      ...extra,
    });
    const url = `${this.server.issuer}/auth?${params.toString()}`;
    this.authorizationRequests.push(url);
    return { url, state, nonce };
  }

  /** What Okta does when the browser reaches its callback. */
  async callback(url: URL, request: OktaRequest): Promise<OktaOutcome> {
    this.callbacks.push(url);
    if (url.origin + url.pathname !== this.callbackUri) throw new Error(`not Okta's callback: ${url.toString()}`);
    if (url.searchParams.get('state') !== request.state) throw new Error('state mismatch');
    const error = url.searchParams.get('error');
    if (error) {
      return {
        kind: 'error',
        error,
        description: url.searchParams.get('error_description'),
        state: url.searchParams.get('state'),
      };
    }
    const tokens = await this.exchange(url.searchParams.get('code') ?? '');
    const { payload } = await jwtVerify(tokens.id_token, await this.keys(), {
      issuer: this.server.issuer,
      audience: this.clientId,
      algorithms: ['RS256'],
    });
    if (payload.nonce !== request.nonce) throw new Error('nonce mismatch');
    const userinfo = await this.json(`${this.server.issuer}/me`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    // Okta's IdP username: idpuser.preferred_username.
    return { kind: 'signed-in', claims: payload, userinfo, username: String(payload.preferred_username) };
  }

  private async exchange(code: string): Promise<{ id_token: string; access_token: string }> {
    const tokens = await this.json(`${this.server.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: this.callbackUri,
        client_id: this.clientId,
        client_secret: this.clientSecret,
      }).toString(),
    });
    if (typeof tokens.id_token !== 'string') throw new Error(`no id_token: ${JSON.stringify(tokens)}`);
    return tokens as { id_token: string; access_token: string };
  }

  /** The IdP's keys, read once from discovery's jwks_uri (Okta caches them too). */
  private keySet: ReturnType<typeof createLocalJWKSet> | undefined;

  private async keys() {
    if (!this.keySet) {
      const discovery = await this.json(`${this.server.issuer}/.well-known/openid-configuration`);
      this.keySet = createLocalJWKSet((await this.json(String(discovery.jwks_uri))) as unknown as JSONWebKeySet);
    }
    return this.keySet;
  }

  private async json(url: string, init: RequestInit = {}): Promise<Record<string, unknown>> {
    const response = await this.server.fetch(url, init);
    const body = (await response.json()) as Record<string, unknown>;
    if (!response.ok) throw new Error(`${url}: ${response.status} ${JSON.stringify(body)}`);
    return body;
  }
}
