// Token endpoint features beyond the code flow: client credentials, revocation, introspection, and
// RP-initiated logout, each through openid-client against a live server.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { createRemoteJWKSet, customFetch, decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startServer, type TestServer } from '../../helpers/server.js';
import { HttpUser, expectCallback } from '../../helpers/http-user.js';
import { discover, oauthError, relyingParty, REDIRECT_URI } from '../../helpers/rp.js';
import { backendName } from '../../helpers/backend.js';

describe(`tokens [${backendName()}]`, () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('issues client-credentials tokens that introspect as active until revoked', async () => {
    const { clientId, clientSecret } = await server.addClient({ name: 'Service', grantType: ['client_credentials'] });
    const rp = await relyingParty(server, clientId, clientSecret);
    const tokens = await oidc.clientCredentialsGrant(rp.config);
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    expect(tokens.expires_in).toBeGreaterThan(0);
    const before = await oidc.tokenIntrospection(rp.config, tokens.access_token);
    expect(before.active).toBe(true);
    expect(before.client_id).toBe(clientId);
    await oidc.tokenRevocation(rp.config, tokens.access_token);
    const after = await oidc.tokenIntrospection(rp.config, tokens.access_token);
    expect(after.active).toBe(false);
  });

  it('refuses client credentials with a wrong secret', async () => {
    const { clientId } = await server.addClient({ name: 'Service 2', grantType: ['client_credentials'] });
    const rp = await relyingParty(server, clientId, 'not-the-secret');
    const error = (await oidc.clientCredentialsGrant(rp.config).catch((e: unknown) => e)) as {
      status?: number;
      cause?: Array<{ parameters: { error?: string } }>;
    };
    expect(error.status).toBe(401);
    expect(error.cause?.[0]?.parameters.error).toBe('invalid_client');
  });

  it('accepts client_secret_post as the token endpoint auth method', async () => {
    const { clientId, clientSecret } = await server.addClient({
      name: 'Post auth',
      authMethod: 'client_secret_post',
      grantType: ['client_credentials'],
    });
    const config = await discover(server, clientId, oidc.ClientSecretPost(clientSecret!));
    const tokens = await oidc.clientCredentialsGrant(config);
    expect(tokens.access_token).toBeDefined();
  });

  it('authenticates a client with private_key_jwt against its registered JWKS', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const jwksFile = path.join(server.dataDir, 'client-jwks.json');
    writeFileSync(
      jwksFile,
      JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'rp-key-1', alg: 'ES256', use: 'sig' }] }),
    );
    const { clientId, clientSecret } = await server.addClient({
      name: 'JWT auth',
      authMethod: 'private_key_jwt',
      jwksFile,
      grantType: ['client_credentials'],
    });
    expect(clientSecret).toBeNull();
    const config = await discover(server, clientId, oidc.PrivateKeyJwt({ key: privateKey, kid: 'rp-key-1' }));
    expect((await oidc.clientCredentialsGrant(config)).access_token).toBeDefined();

    const stranger = (await generateKeyPair('ES256')).privateKey;
    const forged = await discover(server, clientId, oidc.PrivateKeyJwt({ key: stranger, kid: 'rp-key-1' }));
    expect(await oauthError(oidc.clientCredentialsGrant(forged))).toEqual({ status: 401, error: 'invalid_client' });
  });

  it('signs id_tokens with the algorithm the client registered (ES256) and publishes the key', async () => {
    const { password } = await server.addUser('esme');
    const { clientId, clientSecret } = await server.addClient({
      name: 'ES256 RP',
      redirectUri: [REDIRECT_URI],
      idTokenAlg: 'ES256',
    });
    const rp = await relyingParty(server, clientId, clientSecret);
    const started = await rp.start();
    const tokens = await rp.finish(
      expectCallback(
        await new HttpUser(server.fetch, server.issuer).signIn(started.url, { username: 'esme', password }),
      ),
      started,
    );
    const header = decodeProtectedHeader(tokens.id_token!);
    expect(header.alg).toBe('ES256');
    const jwks = createRemoteJWKSet(new URL(`${server.issuer}/jwks`), { [customFetch]: server.fetch } as never);
    const { payload } = await jwtVerify(tokens.id_token!, jwks, { issuer: server.issuer, audience: clientId });
    expect(payload.email).toBe('esme@example.com');
  });

  it('revokes a refresh token so it can no longer be used', async () => {
    const { password } = await server.addUser('rhea');
    const { clientId, clientSecret } = await server.addClient({ name: 'Revoker', redirectUri: [REDIRECT_URI] });
    const rp = await relyingParty(server, clientId, clientSecret);
    const started = await rp.start({ scope: 'openid offline_access', prompt: 'consent' });
    const tokens = await rp.finish(
      expectCallback(
        await new HttpUser(server.fetch, server.issuer).signIn(started.url, { username: 'rhea', password }),
      ),
      started,
    );
    await oidc.tokenRevocation(rp.config, tokens.refresh_token!);
    await expect(oidc.refreshTokenGrant(rp.config, tokens.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });

  it("introspects a user's tokens as inactive once the user is disabled, and active again when enabled", async () => {
    const { password, user } = await server.addUser('ines');
    const { clientId, clientSecret } = await server.addClient({ name: 'Introspector', redirectUri: [REDIRECT_URI] });
    const rp = await relyingParty(server, clientId, clientSecret);
    const started = await rp.start({ scope: 'openid offline_access', prompt: 'consent' });
    const tokens = await rp.finish(
      expectCallback(
        await new HttpUser(server.fetch, server.issuer).signIn(started.url, { username: 'ines', password }),
      ),
      started,
    );
    const active = async () =>
      [
        (await oidc.tokenIntrospection(rp.config, tokens.access_token)).active,
        (await oidc.tokenIntrospection(rp.config, tokens.refresh_token!)).active,
      ] as const;
    expect(await active()).toEqual([true, true]);
    await server.app.services.users.setDisabled(user.id, true);
    expect(await active()).toEqual([false, false]);
    await server.app.services.users.setDisabled(user.id, false);
    expect(await active()).toEqual([true, true]);
  });

  it('ends the session with RP-initiated logout and returns to the post-logout URI', async () => {
    const { password } = await server.addUser('lou');
    const postLogout = 'https://rp.example.test/bye';
    const { clientId, clientSecret } = await server.addClient({
      name: 'Logout RP',
      redirectUri: [REDIRECT_URI],
      postLogoutRedirectUri: [postLogout],
    });
    const rp = await relyingParty(server, clientId, clientSecret);
    const user = new HttpUser(server.fetch, server.issuer);
    const started = await rp.start();
    const tokens = await rp.finish(
      expectCallback(await user.signIn(started.url, { username: 'lou', password })),
      started,
    );

    const logoutUrl = oidc.buildEndSessionUrl(rp.config, {
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: postLogout,
      state: 'bye-state',
    });
    const confirm = await user.go(logoutUrl.toString());
    if (confirm.kind !== 'page') throw new Error('expected the logout confirmation page');
    expect(confirm.page.html).toContain('Sign out?');
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirm.page.html)![1]!;
    const action = /<form id="op.logoutForm" method="post" action="([^"]+)"/.exec(confirm.page.html)![1]!;
    const done = await user.go(new URL(action, server.issuer).toString(), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ xsrf, logout: 'yes' }).toString(),
    });
    expect(done.kind).toBe('callback');
    if (done.kind === 'callback') {
      expect(done.url.origin + done.url.pathname).toBe(postLogout);
      expect(done.url.searchParams.get('state')).toBe('bye-state');
    }
    // The session is gone: a silent authorization now needs a login.
    const silent = await rp.start({ prompt: 'none' });
    const landing = expectCallback(await user.go(silent.url));
    expect(landing.searchParams.get('error')).toBe('login_required');
  });
});
