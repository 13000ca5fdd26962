// Admin clients and their tokens (issue 15): oidc-provider issues the admin API scopes by client credentials
// to admin clients only, never to other clients nor in an authorization request, and the admin API's bearer
// check (src/oidc/admin-tokens.ts, behind requireAdminApiScope) accepts those tokens in-process only while
// the client is still an admin client. Tokens come from a live server through openid-client; the check runs
// against that server's own provider and stores, mounted here on a small Koa app of its own.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import * as oidc from 'openid-client';
import type { Adapter } from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ClientAdmin } from '../../../src/admin/clients.js';
import { grantsScope, type AdminApiScope } from '../../../src/admin/scopes.js';
import { requireAdminApiScope, type AdminApiState, type AdminBearerVerifier } from '../../../src/http/admin-auth.js';
import { errorHandler } from '../../../src/http/errors.js';
import { createLogger } from '../../../src/log.js';
import { adminBearerVerifier, type AdminBearerVerifierDeps } from '../../../src/oidc/admin-tokens.js';
import { clientMetadataValidator } from '../../../src/oidc/client-validation.js';
import { createProvider } from '../../../src/oidc/provider.js';
import type { OidcStore } from '../../../src/store/oidc-adapter.js';
import { backendName } from '../../helpers/backend.js';
import { HttpUser, expectCallback } from '../../helpers/http-user.js';
import { discover, oauthError, relyingParty, REDIRECT_URI } from '../../helpers/rp.js';
import { startServer, type TestServer } from '../../helpers/server.js';

/** What a driver reports when its server is gone (isStoreOutage recognises the code). */
const connectionRefused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });

describe(`admin clients and their tokens [${backendName()}]`, () => {
  let server: TestServer;
  let admins: ClientAdmin;
  let verifier: AdminBearerVerifier;

  beforeAll(async () => {
    server = await startServer();
    const s = server.app.services;
    admins = new ClientAdmin({
      clients: s.clients,
      audit: s.audit,
      issuer: server.issuer,
      validateMetadata: clientMetadataValidator(server.app.provider),
    });
    verifier = adminBearerVerifier(verifierDeps());
  });
  afterAll(async () => {
    await server?.close();
  });

  function verifierDeps(): AdminBearerVerifierDeps {
    const s = server.app.services;
    return { provider: () => server.app.provider, clients: s.clients, apiTokens: s.adminTokens };
  }

  /** An admin client made as `latchkey clients add-admin` makes it, and a relying party authenticating as it. */
  async function adminClient(name: string, scopes: AdminApiScope[]) {
    const { client, secret } = await admins.createAdmin({ name, scopes }, { actor: 'test' });
    return { clientId: client.clientId, secret: secret!, rp: await relyingParty(server, client.clientId, secret) };
  }

  const tokenFor = async (rp: { config: oidc.Configuration }, scope: string) =>
    oidc.clientCredentialsGrant(rp.config, { scope });

  describe('issuance at the token endpoint', () => {
    it('issues an admin client a client-credentials token with the admin scopes it asks for', async () => {
      const { clientId, rp } = await adminClient('Directory sync', ['latchkey.users.manage', 'latchkey.audit.read']);
      const tokens = await tokenFor(rp, 'latchkey.users.manage latchkey.audit.read');
      expect(tokens.scope?.split(' ').sort()).toEqual(['latchkey.audit.read', 'latchkey.users.manage']);
      const caller = await verifier.verify(tokens.access_token, Date.now());
      expect(caller).toEqual({
        actor: `client:${clientId}`,
        clientId,
        scopes: ['latchkey.users.manage', 'latchkey.audit.read'],
      });
    });

    it('issues an admin client only the part of its scopes it asks for', async () => {
      const { rp } = await adminClient('Narrow asker', ['latchkey.users.manage', 'latchkey.audit.read']);
      const tokens = await tokenFor(rp, 'latchkey.audit.read');
      expect(tokens.scope).toBe('latchkey.audit.read');
      expect((await verifier.verify(tokens.access_token, Date.now()))?.scopes).toEqual(['latchkey.audit.read']);
    });

    it('refuses an admin client a scope its registration does not list', async () => {
      const { rp } = await adminClient('Reader', ['latchkey.users.read']);
      expect(await oauthError(tokenFor(rp, 'latchkey.users.manage'))).toEqual({ status: 400, error: 'invalid_scope' });
      expect(await oauthError(tokenFor(rp, 'latchkey.users.read openid'))).toEqual({
        status: 400,
        error: 'invalid_scope',
      });
    });

    it('refuses admin scopes to a client-credentials client that is not an admin client', async () => {
      const { clientId, clientSecret } = await server.addClient({ name: 'Service', grantType: ['client_credentials'] });
      const rp = await relyingParty(server, clientId, clientSecret);
      expect(await oauthError(tokenFor(rp, 'latchkey.users.read'))).toEqual({ status: 400, error: 'invalid_scope' });
      // The client itself still works for what it may have.
      const plain = await oidc.clientCredentialsGrant(rp.config);
      expect(plain.scope).toBeUndefined();
      expect(await verifier.verify(plain.access_token, Date.now())).toBeUndefined();
    });

    it('refuses admin scopes to a client whose stored metadata lists them but whose kind is not admin', async () => {
      const s = server.app.services;
      const secret = 'a-secret-of-a-client-registered-by-hand-0123456789';
      await s.clients.add({
        name: 'Mislabelled',
        kind: 'first_party',
        metadata: {
          client_id: 'mislabelled-admin',
          grant_types: ['client_credentials'],
          response_types: [],
          redirect_uris: [],
          token_endpoint_auth_method: 'client_secret_basic',
          scope: 'latchkey.users.manage latchkey.clients.manage',
        },
        secret,
      });
      const rp = await relyingParty(server, 'mislabelled-admin', secret);
      expect(await oauthError(tokenFor(rp, 'latchkey.users.manage'))).toEqual({ status: 400, error: 'invalid_scope' });
    });

    it('refuses to serve an admin client registered with an interactive grant', async () => {
      const s = server.app.services;
      const secret = 'a-secret-of-an-admin-client-registered-by-hand-0123';
      await s.clients.add({
        name: 'Interactive admin',
        kind: 'admin',
        metadata: {
          client_id: 'interactive-admin',
          grant_types: ['authorization_code', 'client_credentials'],
          response_types: ['code'],
          redirect_uris: [REDIRECT_URI],
          token_endpoint_auth_method: 'client_secret_basic',
          scope: 'latchkey.users.manage',
        },
        secret,
      });
      const rp = await relyingParty(server, 'interactive-admin', secret);
      expect(await oauthError(tokenFor(rp, 'latchkey.users.manage'))).toEqual({
        status: 400,
        error: 'invalid_client_metadata',
      });
    });

    it('refuses admin scopes in an authorization request of a relying party (invalid_scope at the redirect_uri)', async () => {
      const { clientId, clientSecret } = await server.addClient({ name: 'Interactive', redirectUri: [REDIRECT_URI] });
      const rp = await relyingParty(server, clientId, clientSecret);
      const started = await rp.start({ scope: 'openid latchkey.users.read' });
      const callback = expectCallback(await new HttpUser(server.fetch, server.issuer).go(started.url));
      expect(callback.searchParams.get('error')).toBe('invalid_scope');
      expect(callback.searchParams.has('code')).toBe(false);
    });

    it("does not accept a signed-in user's access token as an admin API token", async () => {
      const { password } = await server.addUser('ada');
      const { clientId, clientSecret } = await server.addClient({ name: 'Code flow RP', redirectUri: [REDIRECT_URI] });
      const rp = await relyingParty(server, clientId, clientSecret);
      const started = await rp.start();
      const tokens = await rp.finish(
        expectCallback(
          await new HttpUser(server.fetch, server.issuer).signIn(started.url, { username: 'ada', password }),
        ),
        started,
      );
      expect(await verifier.verify(tokens.access_token, Date.now())).toBeUndefined();
    });

    it('issues 20 parallel token requests of one admin client 20 distinct tokens that all verify', async () => {
      const { clientId, rp } = await adminClient('Busy automation', ['latchkey.devices.read']);
      const issued = await Promise.all(Array.from({ length: 20 }, () => tokenFor(rp, 'latchkey.devices.read')));
      expect(new Set(issued.map((t) => t.access_token)).size).toBe(20);
      const callers = await Promise.all(issued.map((t) => verifier.verify(t.access_token, Date.now())));
      expect(callers.every((c) => c?.clientId === clientId && c.scopes.includes('latchkey.devices.read'))).toBe(true);
    });
  });

  describe('secret rotation', () => {
    it('refuses the old secret at the token endpoint at once and accepts the new one', async () => {
      const { clientId, secret, rp } = await adminClient('Rotated', ['latchkey.clients.read']);
      expect((await tokenFor(rp, 'latchkey.clients.read')).access_token).toBeDefined();
      const rotated = await admins.rotateSecret(clientId, { actor: 'test' });
      expect(rotated.secret).not.toBe(secret);
      expect(await oauthError(tokenFor(rp, 'latchkey.clients.read'))).toEqual({ status: 401, error: 'invalid_client' });
      const renewed = await discover(server, clientId, oidc.ClientSecretBasic(rotated.secret!));
      expect((await tokenFor({ config: renewed }, 'latchkey.clients.read')).scope).toBe('latchkey.clients.read');
    });

    it('ends the tokens the old secret got, and keeps those of the new one', async () => {
      const { clientId, rp } = await adminClient('Leaked', ['latchkey.clients.read']);
      const old = await tokenFor(rp, 'latchkey.clients.read');
      // At once: within the same second as the old token was issued.
      const rotated = await admins.rotateSecret(clientId, { actor: 'test' });
      expect(await verifier.verify(old.access_token, Date.now())).toBeUndefined();
      const renewed = await discover(server, clientId, oidc.ClientSecretBasic(rotated.secret!));
      const fresh = await tokenFor({ config: renewed }, 'latchkey.clients.read');
      expect(await verifier.verify(fresh.access_token, Date.now())).toMatchObject({ clientId });
    });

    it('refuses to rotate the secret of a client that has none, and of an unknown client', async () => {
      const { clientId } = await server.addClient({ name: 'Public', public: true, redirectUri: [REDIRECT_URI] });
      const clients = server.app.services.clients;
      await expect(clients.rotateSecret(clientId)).rejects.toMatchObject({ code: 'ERR_CLIENT_NO_SECRET', status: 400 });
      await expect(clients.rotateSecret('no-such-client')).rejects.toMatchObject({ code: 'ERR_CLIENT_NOT_FOUND' });
    });
  });

  describe('the bearer check', () => {
    it("stops accepting an admin client's token once the client is removed", async () => {
      const { clientId, rp } = await adminClient('Short-lived', ['latchkey.policies.read']);
      const { access_token } = await tokenFor(rp, 'latchkey.policies.read');
      expect(await verifier.verify(access_token, Date.now())).toMatchObject({ clientId });
      await admins.remove(clientId, { actor: 'test' });
      expect(await verifier.verify(access_token, Date.now())).toBeUndefined();
    });

    it('refuses an expired client-credentials token', async () => {
      const { clientId } = await adminClient('Expiring', ['latchkey.audit.read']);
      const { ClientCredentials, Client } = server.app.provider;
      const client = await Client.find(clientId);
      const token = await new ClientCredentials({ client: client!, scope: 'latchkey.audit.read', expiresIn: 1 }).save();
      expect(await verifier.verify(token, Date.now())).toMatchObject({ clientId });
      await new Promise((resolve) => setTimeout(resolve, 2100));
      expect(await verifier.verify(token, Date.now())).toBeUndefined();
    });

    it('accepts a break-glass API token as token:<name> with its scopes, until it is revoked', async () => {
      const tokens = server.app.services.adminTokens;
      const { token, record } = await tokens.create(
        { name: 'break-glass', scopes: ['latchkey.users.manage'], ttlMs: null, createdBy: 'test' },
        Date.now(),
      );
      expect(await verifier.verify(token, Date.now())).toEqual({
        actor: 'token:break-glass',
        scopes: ['latchkey.users.manage'],
      });
      await tokens.revoke(record.id, Date.now());
      expect(await verifier.verify(token, Date.now())).toBeUndefined();
    });

    it('refuses tokens nobody issued', async () => {
      expect(await verifier.verify('not-a-token', Date.now())).toBeUndefined();
      expect(await verifier.verify(`lkat_${'A'.repeat(43)}`, Date.now())).toBeUndefined();
    });
  });

  describe('requireAdminApiScope over HTTP', () => {
    let api: http.Server;
    let apiUrl: string;
    let checkedBy: AdminBearerVerifier;

    beforeAll(async () => {
      const koa = new Koa();
      koa.use(errorHandler(createLogger('silent'), { json: true }));
      // The verifier is looked up per request so a test can put one whose stores are down in its place.
      const check = (scope: AdminApiScope) =>
        requireAdminApiScope({ verify: (t, now) => checkedBy.verify(t, now) }, scope);
      koa.use(async (ctx, next) => {
        const scope = ctx.path.slice(1) as AdminApiScope;
        await check(scope)(ctx, async () => {
          ctx.body = (ctx.state as AdminApiState).adminCaller;
        });
        await next();
      });
      api = http.createServer(koa.callback());
      await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
      apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      await new Promise((resolve) => api?.close(resolve));
    });

    const call = (scope: string, token?: string) =>
      fetch(`${apiUrl}/${scope}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

    it('lets a manage scope through where the read scope is needed and puts the caller on the state', async () => {
      checkedBy = verifier;
      const { clientId, rp } = await adminClient('Manager', ['latchkey.devices.manage']);
      const { access_token } = await tokenFor(rp, 'latchkey.devices.manage');
      const response = await call('latchkey.devices.read', access_token);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({
        actor: `client:${clientId}`,
        clientId,
        scopes: ['latchkey.devices.manage'],
      });
    });

    it('answers 401 invalid_token to a missing or unknown token and 403 insufficient_scope to a weaker one', async () => {
      checkedBy = verifier;
      const missing = await call('latchkey.users.read');
      expect(missing.status).toBe(401);
      expect(missing.headers.get('www-authenticate')).toBe(
        'Bearer realm="latchkey-admin", scope="latchkey.users.read"',
      );
      const unknown = await call('latchkey.users.read', 'forged-token');
      expect(unknown.status).toBe(401);
      expect(unknown.headers.get('www-authenticate')).toContain('error="invalid_token"');
      const { rp } = await adminClient('Reader only', ['latchkey.users.read']);
      const { access_token } = await tokenFor(rp, 'latchkey.users.read');
      const weaker = await call('latchkey.users.manage', access_token);
      expect(weaker.status).toBe(403);
      expect(weaker.headers.get('www-authenticate')).toBe(
        'Bearer realm="latchkey-admin", error="insufficient_scope", scope="latchkey.users.manage"',
      );
      expect(await weaker.json()).toMatchObject({ error: 'ERR_ADMIN_TOKEN_SCOPE' });
    });

    it('answers 503 when the token store cannot be asked', async () => {
      const s = server.app.services;
      const down: Adapter = {
        upsert: () => Promise.reject(connectionRefused()),
        find: () => Promise.reject(connectionRefused()),
        findByUid: () => Promise.reject(connectionRefused()),
        findByUserCode: () => Promise.reject(connectionRefused()),
        consume: () => Promise.reject(connectionRefused()),
        destroy: () => Promise.reject(connectionRefused()),
        revokeByGrantId: () => Promise.reject(connectionRefused()),
      };
      const store: OidcStore = {
        adapterFor: () => down,
        revokeByAccountId: () => Promise.reject(connectionRefused()),
        purgeExpired: async () => {},
        close: async () => {},
      };
      const unreachable = createProvider({
        config: server.config,
        store,
        users: s.users,
        jwks: { keys: (await s.keys.providerKeys()).keys },
        cookieKeys: ['outage-test'],
      });
      checkedBy = adminBearerVerifier({ ...verifierDeps(), provider: () => unreachable });
      const response = await call('latchkey.users.read', 'a-client-credentials-token');
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('5');
      expect(await response.json()).toMatchObject({ error: 'ERR_STORE_UNAVAILABLE' });
    });

    it('answers 503 when the clients table cannot be read', async () => {
      const { rp } = await adminClient('During an outage', ['latchkey.users.read']);
      const { access_token } = await tokenFor(rp, 'latchkey.users.read');
      checkedBy = adminBearerVerifier({
        ...verifierDeps(),
        clients: { find: () => Promise.reject(connectionRefused()) },
      });
      const response = await call('latchkey.users.read', access_token);
      expect(response.status).toBe(503);
    });
  });

  describe('grantsScope', () => {
    it.each([
      [['latchkey.users.read'], 'latchkey.users.read', true],
      [['latchkey.users.manage'], 'latchkey.users.read', true],
      [['latchkey.users.read'], 'latchkey.users.manage', false],
      [['latchkey.devices.manage'], 'latchkey.users.read', false],
      [['latchkey.clients.manage'], 'latchkey.audit.read', false],
      [[], 'latchkey.audit.read', false],
    ] as const)('with %j grants %s: %s', (held, needed, granted) => {
      expect(grantsScope(held, needed)).toBe(granted);
    });
  });
});
