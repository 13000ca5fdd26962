// The authorization-code flow as a real relying party sees it: discovery, PKCE, password and TOTP
// sign-in through our pages, the id_token's claims, userinfo, refresh rotation, logout.
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startServer, type TestServer } from '../../helpers/server.js';
import { HttpUser, expectCallback } from '../../helpers/http-user.js';
import { relyingParty, REDIRECT_URI } from '../../helpers/rp.js';
import { backendName } from '../../helpers/backend.js';

describe(`authorization code flow [${backendName()}]`, () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('publishes discovery with the endpoints, scopes and claims relying parties need', async () => {
    const response = await server.fetch(`${server.issuer}/.well-known/openid-configuration`);
    expect(response.status).toBe(200);
    const doc = (await response.json()) as Record<string, unknown>;
    expect(doc.issuer).toBe(server.issuer);
    for (const endpoint of [
      'authorization_endpoint',
      'token_endpoint',
      'userinfo_endpoint',
      'jwks_uri',
      'revocation_endpoint',
      'introspection_endpoint',
      'end_session_endpoint',
    ]) {
      expect(String(doc[endpoint])).toMatch(new RegExp(`^${server.issuer}/`));
    }
    expect(doc.scopes_supported).toEqual(
      expect.arrayContaining(['openid', 'profile', 'email', 'groups', 'offline_access']),
    );
    expect(doc.claims_supported).toEqual(
      expect.arrayContaining(['email', 'preferred_username', 'acr', 'amr', 'groups']),
    );
    expect(doc.code_challenge_methods_supported).toEqual(['S256']);
    expect(doc.token_endpoint_auth_methods_supported).toEqual(
      expect.arrayContaining(['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none']),
    );
    const jwks = (await (await server.fetch(String(doc.jwks_uri))).json()) as { keys: Array<Record<string, unknown>> };
    expect(jwks.keys.map((k) => k.alg).sort()).toEqual(['ES256', 'RS256']);
    expect(jwks.keys.every((k) => k.d === undefined)).toBe(true);
  });

  it('signs a public client in with password and PKCE, with email, preferred_username, acr and amr in the id_token', async () => {
    const { user, password } = await server.addUser('pat');
    const { clientId } = await server.addClient({ name: 'Public SPA', public: true, redirectUri: [REDIRECT_URI] });
    const rp = await relyingParty(server, clientId, null);
    const started = await rp.start();
    const callback = expectCallback(
      await new HttpUser(server.fetch, server.issuer).signIn(started.url, { username: 'pat', password }),
    );
    const tokens = await rp.finish(callback, started);
    const claims = tokens.claims()!;
    expect(claims.sub).toBe(user.id);
    expect(claims.email).toBe('pat@example.com');
    expect(claims.preferred_username).toBe('pat@example.com');
    expect(claims.acr).toBe('urn:latchkey:acr:pwd');
    expect(claims.amr).toEqual(['pwd']);
    const info = await oidc.fetchUserInfo(rp.config, tokens.access_token, user.id);
    expect(info.email).toBe('pat@example.com');
  });

  it('asks for TOTP when the user has it and reports mfa; rotates refresh tokens and refuses the old one', async () => {
    const { user, password, totpSecret } = await server.addUser('tia', { totp: true });
    const { clientId, clientSecret } = await server.addClient({
      name: 'Confidential app',
      redirectUri: [REDIRECT_URI],
    });
    const rp = await relyingParty(server, clientId, clientSecret);
    const started = await rp.start({ scope: 'openid profile email groups offline_access', prompt: 'consent' });
    const callback = expectCallback(
      await new HttpUser(server.fetch, server.issuer).signIn(started.url, { username: 'tia', password, totpSecret }),
    );
    const tokens = await rp.finish(callback, started);
    const claims = tokens.claims()!;
    expect(claims.sub).toBe(user.id);
    expect(claims.acr).toBe('urn:latchkey:acr:mfa');
    expect(claims.amr).toEqual(expect.arrayContaining(['pwd', 'otp', 'mfa']));
    expect(tokens.refresh_token).toBeDefined();

    const refreshed = await oidc.refreshTokenGrant(rp.config, tokens.refresh_token!);
    expect(refreshed.refresh_token).toBeDefined();
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    await expect(oidc.refreshTokenGrant(rp.config, tokens.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });

  it('asks a third-party client for consent, remembers it, and returns access_denied when refused', async () => {
    const { password } = await server.addUser('cora');
    const { clientId, clientSecret } = await server.addClient({
      name: 'Partner App',
      kind: 'third_party',
      redirectUri: [REDIRECT_URI],
    });
    const rp = await relyingParty(server, clientId, clientSecret);
    const browser = new HttpUser(server.fetch, server.issuer);

    // This browser signs in and allows (HttpUser.signIn answers the consent page with "allow").
    const allowed = await rp.start();
    await rp.finish(expectCallback(await browser.signIn(allowed.url, { username: 'cora', password })), allowed);
    const grants = await server.app.services.audit.search({ event: 'consent', clientId });
    expect(grants[0]).toMatchObject({ outcome: 'allow' });

    // Another browser refuses.
    const other = new HttpUser(server.fetch, server.issuer);
    const denyStart = await rp.start();
    let landing = await other.go(denyStart.url);
    if (landing.kind !== 'page') throw new Error('expected the sign-in page');
    landing = await other.submit(landing.page, '/password', { username: 'cora', password });
    if (landing.kind !== 'page') throw new Error('expected the consent page');
    expect(landing.page.html).toContain('Allow Partner App?');
    expect(landing.page.html).toContain('read your email address');
    const denied = expectCallback(await other.submit(landing.page, '/consent', { decision: 'deny' }));
    expect(denied.searchParams.get('error')).toBe('access_denied');
    expect(denied.searchParams.get('state')).toBe(denyStart.state);

    // The first browser allowed: a second authorization needs no screen at all.
    const again = await rp.start({ prompt: 'none' });
    const silent = expectCallback(await browser.go(again.url));
    expect(silent.searchParams.get('code')).toBeTruthy();
    expect((await rp.finish(silent, again)).claims()!.email).toBe('cora@example.com');
  });

  it('returns access_denied to the relying party when the user cancels on the sign-in page', async () => {
    const { clientId, clientSecret } = await server.addClient({ name: 'Cancel RP', redirectUri: [REDIRECT_URI] });
    const rp = await relyingParty(server, clientId, clientSecret);
    const browser = new HttpUser(server.fetch, server.issuer);
    const started = await rp.start();
    const page = await browser.go(started.url);
    if (page.kind !== 'page') throw new Error('expected the sign-in page');
    expect(page.page.html).toContain('Cancel and return to Cancel RP');
    const cancelled = expectCallback(await browser.submit(page.page, '/abort', {}));
    expect(cancelled.searchParams.get('error')).toBe('access_denied');
    expect(cancelled.searchParams.get('error_description')).toBe('The user cancelled the sign-in.');
    expect(cancelled.searchParams.get('state')).toBe(started.state);
  });
});
