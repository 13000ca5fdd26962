// Latchkey as the device factor of any OpenID Connect IdP: openid-client (panva) as the federating IdP,
// with client_secret_basic and with private_key_jwt; the loop guard (a browser sent back again and again
// ends with access_denied at the redirect_uri; parallel requests are counted exactly); and the admin CLI
// that registers factor clients and user attributes.
import { generateKeyPair, exportJWK } from 'jose';
import * as oidc from 'openid-client';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { backendName } from '../../helpers/backend.js';
import { expectCallback } from '../../helpers/http-user.js';
import { discover, relyingParty, REDIRECT_URI } from '../../helpers/rp.js';
import { startServer, type TestServer } from '../../helpers/server.js';
import { adminCli, deviceBrowsers, enrolledDevice, type DeviceCredentials } from '../device-trust/helpers.js';

const LOOP_LIMIT = 4;

describe(`a generic federating IdP [${backendName()}]`, () => {
  let server: TestServer;
  let alice: DeviceCredentials;
  let browsers: ReturnType<typeof deviceBrowsers>;
  const browserOn = (credentials: DeviceCredentials | null) => browsers.on(credentials);

  beforeAll(async () => {
    server = await startServer({ security: { loop_guard: { max_requests: LOOP_LIMIT, window_seconds: 60 } } });
    await server.app.services.deviceTrust.initCa({ actor: 'test' });
    browsers = deviceBrowsers(server);
    await server.addUser('alice');
    alice = await enrolledDevice(server, 'alice');
  });
  afterAll(async () => {
    await browsers?.close();
    await server?.close();
  });

  it('signs in through openid-client with client_secret_basic, PKCE and the device alone', async () => {
    const factor = await server.addFactorClient('generic', {
      name: 'Other IdP',
      redirectUri: [REDIRECT_URI],
      authMethod: 'client_secret_basic',
    });
    const idp = await relyingParty(server, factor.clientId, factor.clientSecret);
    const started = await idp.start();
    const tokens = await idp.finish(expectCallback(await browserOn(alice).go(started.url)), started);
    expect(tokens.claims()).toMatchObject({
      preferred_username: 'alice@example.com',
      amr: ['pop', 'swk'],
      device_context: { managed: true, externalId: alice.deviceId },
    });
  });

  it('accepts private_key_jwt from a federating IdP with its own keys', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jwks = path.join(server.dataDir, 'idp-keys.json');
    writeFileSync(jwks, JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'idp-1', alg: 'ES256' }] }));
    const factor = await server.addFactorClient('generic', {
      redirectUri: [REDIRECT_URI],
      authMethod: 'private_key_jwt',
      jwksFile: jwks,
    });
    expect(factor.clientSecret).toBeNull();
    const config = await discover(server, factor.clientId, oidc.PrivateKeyJwt({ key: privateKey, kid: 'idp-1' }));
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const verifier = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: 'openid profile email',
      state,
      nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    const callback = expectCallback(await browserOn(alice).go(url.toString()));
    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
    });
    expect(tokens.claims()?.amr).toEqual(['pop', 'swk']);
  });

  describe('the loop guard', () => {
    let idp: Awaited<ReturnType<typeof relyingParty>>;
    beforeAll(async () => {
      const factor = await server.addFactorClient('generic', { name: 'Looping IdP', redirectUri: [REDIRECT_URI] });
      idp = await relyingParty(server, factor.clientId, factor.clientSecret);
    });

    it('answers a browser sent back again and again with access_denied and the state, then keeps refusing', async () => {
      const browser = browserOn(alice);
      // The first request gives the browser its cookie; each later one within the window is counted.
      const outcomes: string[] = [];
      for (let round = 0; round < LOOP_LIMIT + 3; round += 1) {
        const started = await idp.start();
        const callback = expectCallback(await browser.go(started.url));
        expect(callback.searchParams.get('state')).toBe(started.state);
        outcomes.push(callback.searchParams.get('error') ?? 'code');
      }
      expect(outcomes).toEqual([...Array(LOOP_LIMIT + 1).fill('code'), 'access_denied', 'access_denied']);
      const refused = expectCallback(await browser.go((await idp.start()).url));
      expect(refused.searchParams.get('error_description')).toContain('Latchkey stopped a sign-in loop');
      // Another browser is not affected.
      expect(expectCallback(await browserOn(alice).go((await idp.start()).url)).searchParams.get('code')).toBeTruthy();
    });

    it("does not count what another site embeds (an image, a fetch): only the browser's page loads", async () => {
      const browser = browserOn(alice);
      await browser.go((await idp.start()).url); // its cookie
      for (let i = 0; i < LOOP_LIMIT + 2; i += 1) {
        await browser.request((await idp.start()).url, { headers: { 'sec-fetch-dest': 'image' } });
      }
      const page = await browser.go((await idp.start()).url, { headers: { 'sec-fetch-dest': 'document' } });
      expect(expectCallback(page).searchParams.get('code')).toBeTruthy();
    });

    it('counts parallel requests of one browser exactly: the limit admits that many, no more', async () => {
      const browser = browserOn(alice);
      await browser.go((await idp.start()).url); // its cookie
      const results = await Promise.all(
        Array.from({ length: 12 }, async () => {
          const started = await idp.start();
          const response = await browser.request(started.url);
          const location = new URL(response.headers.get('location')!, server.issuer);
          return location.searchParams.get('error') === 'access_denied' ? 'refused' : 'admitted';
        }),
      );
      expect(results.filter((r) => r === 'admitted')).toHaveLength(LOOP_LIMIT);
    });
  });

  describe('the admin CLI', () => {
    it('registers an Okta factor and prints every value to paste into Okta, the secret once', async () => {
      const added = await adminCli(server)(['clients', 'add-factor', 'okta', '--okta-domain', 'acme.okta.com']);
      expect(added.status).toBe(0);
      for (const line of [
        'In Okta: Security > Identity Providers > Add identity provider > OpenID Connect IdP',
        'IdP usage                  Factor only',
        'Client authentication      client_secret_post',
        'Scopes                     openid profile email',
        `Issuer                     ${server.issuer}`,
        `Authorization endpoint     ${server.issuer}/auth`,
        `Token endpoint             ${server.issuer}/token`,
        `JWKS endpoint              ${server.issuer}/jwks`,
        `Userinfo endpoint          ${server.issuer}/me`,
        'Redirect URI (registered)  https://acme.okta.com/oauth2/v1/authorize/callback',
        'IdP username               idpuser.preferred_username',
        '(the secret is shown only now: paste it into the other IdP)',
      ]) {
        expect(added.stdout).toContain(line);
      }
      const clientId = /Client ID\s+(\S+)/.exec(added.stdout)![1]!;
      const secret = /Client secret\s+(\S+)/.exec(added.stdout)![1]!;
      expect(secret.length).toBeGreaterThan(30);
      const again = await adminCli(server)(['clients', 'setup', clientId]);
      expect(again.stdout).not.toContain(secret);
      expect(again.stdout).toContain('not shown again');
      const client = await server.app.services.clients.require(clientId);
      expect(client).toMatchObject({ kind: 'factor', factor: { idp: 'okta', unmanaged: 'deny' } });
      expect(client.metadata).toMatchObject({
        token_endpoint_auth_method: 'client_secret_post',
        id_token_signed_response_alg: 'RS256',
      });
    });

    it('registers an Entra factor with its tenant, and changes what a factor client does', async () => {
      const tenant = '72f988bf-86f1-41af-91ab-2d7cd011db47';
      const added = await adminCli(server)([
        'clients',
        'add-factor',
        'entra',
        '--tenant-id',
        tenant,
        '--app-id',
        'app-1',
      ]);
      expect(added.status).toBe(0);
      expect(added.stdout).toContain(`Discovery endpoint  ${server.issuer}/.well-known/openid-configuration`);
      const clientId = /Client ID\s+(\S+)/.exec(added.stdout)![1]!;
      const changed = await adminCli(server)([
        'clients',
        'set-factor',
        clientId,
        '--match',
        'oid=attribute:entra_oid',
        '--session-lifetime',
        '8h',
      ]);
      expect(changed.status).toBe(0);
      expect((await server.app.services.clients.require(clientId)).factor).toMatchObject({
        sessionSeconds: 8 * 3600,
        entra: { tenantId: tenant, appId: 'app-1', matchClaim: 'oid', matchField: 'attribute:entra_oid' },
      });
    });

    it.each([
      [['clients', 'add-factor', 'okta'], 'okta needs --okta-domain ORG.okta.com'],
      [
        ['clients', 'add-factor', 'okta', '--okta-domain', 'https://acme.okta.com/app'],
        "--okta-domain must be your Okta org's host name",
      ],
      [['clients', 'add-factor', 'entra', '--tenant-id', 'contoso'], '--tenant-id must be the directory (tenant) id'],
      [['clients', 'add-factor', 'google'], 'the IdP must be one of okta, entra, generic, not "google"'],
      [['clients', 'add-factor', 'generic'], 'generic needs --redirect-uri'],
      [
        ['clients', 'add-factor', 'okta', '--okta-domain', 'a.okta.com', '--unmanaged', 'allow'],
        '--unmanaged must be deny',
      ],
      [
        ['clients', 'add-factor', 'okta', '--okta-domain', 'a.okta.com', '--session-lifetime', 'forever'],
        '--session-lifetime must be a duration',
      ],
      [
        ['clients', 'add-factor', 'okta', '--okta-domain', 'a.okta.com', '--match', 'oid=email'],
        'for Microsoft Entra factor clients only',
      ],
      [
        ['clients', 'add', '--name', 'x', '--kind', 'factor', '--redirect-uri', REDIRECT_URI],
        'latchkey clients add-factor',
      ],
      [['users', 'set-attribute', 'alice', '1bad', 'x'], 'attribute names start with a letter'],
      [
        ['clients', 'add-factor', 'okta', '--okta-domain', 'a.okta.com', '--jwks-uri', 'https://x.example/jwks'],
        '--jwks-uri is for --auth-method private_key_jwt',
      ],
      [
        [
          'clients',
          'add-factor',
          'generic',
          '--redirect-uri',
          'https://i.example/cb',
          '--auth-method',
          'private_key_jwt',
          '--jwks-file',
          '/nonexistent.json',
        ],
        '--jwks-file /nonexistent.json: ENOENT',
      ],
      [
        ['clients', 'add-factor', 'generic', '--redirect-uri', 'http://idp.example.com/cb'],
        "--redirect-uri must be the other IdP's https callback URL",
      ],
      [
        [
          'clients',
          'add-factor',
          'entra',
          '--tenant-id',
          '72f988bf-86f1-41af-91ab-2d7cd011db47',
          '--unmanaged',
          'device-context',
        ],
        'Entra reads no device_context',
      ],
      [
        [
          'clients',
          'add-factor',
          'entra',
          '--tenant-id',
          '72f988bf-86f1-41af-91ab-2d7cd011db47',
          '--cloud',
          'constructor',
        ],
        '--cloud must be one of global, usgov, china',
      ],
    ])('refuses %j with a precise message and stores nothing', async (args, message) => {
      const before = (await server.app.services.clients.list()).length;
      const result = await adminCli(server)(args);
      expect(result.status).toBe(2);
      expect(result.stderr).toContain(message);
      expect((await server.app.services.clients.list()).length).toBe(before);
    });

    it('sets and removes a user attribute another IdP finds the user by, one user per value', async () => {
      const set = await adminCli(server)(['users', 'set-attribute', 'alice', 'entra_oid', 'oid-123']);
      expect(set.status).toBe(0);
      const alice = (await server.app.services.users.findByUsername('alice'))!;
      expect(await server.app.services.users.findByAttribute('entra_oid', 'oid-123')).toMatchObject({ id: alice.id });
      await server.addUser('zed');
      const taken = await adminCli(server)(['users', 'set-attribute', 'zed', 'entra_oid', 'oid-123']);
      expect(taken.status).toBe(1);
      expect(taken.stderr).toContain('another user already has entra_oid = "oid-123"');
      expect((await adminCli(server)(['users', 'show', 'alice'])).stdout).toContain('attribute entra_oid oid-123');
      await adminCli(server)(['users', 'set-attribute', 'alice', 'entra_oid']);
      expect(await server.app.services.users.attributes(alice.id)).toEqual({});
    });
  });
});
