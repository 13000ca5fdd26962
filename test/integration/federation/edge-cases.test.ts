// Federation edge cases an independent review found: a login_hint too long to check is refused, not
// ignored; another user's password session in the browser does not stop the device owner (the device
// identifies the user when no login_hint names one); a client that matches users on an attribute the user
// lacks is refused rather than answered without preferred_username; Entra asking for amr values none of
// which fits gets unmet_authentication_requirements, not amr []; a login_hint with a NUL is refused; a
// device_context answer never replaces another person's session; --entra-jwks-file is stored absolute;
// prompt=none ends at the redirect_uri (login_required without a session, a code with one), never on a page.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { backendName } from '../../helpers/backend.js';
import { EmulatedEntra, formPostOf } from '../../helpers/entra.js';
import { HttpUser, type Landing } from '../../helpers/http-user.js';
import { EmulatedOkta } from '../../helpers/okta.js';
import { relyingParty, REDIRECT_URI } from '../../helpers/rp.js';
import { PASSWORD, startServer, type TestServer } from '../../helpers/server.js';
import { adminCli, deviceBrowsers, enrolledDevice, type DeviceCredentials } from '../device-trust/helpers.js';

describe(`federation edge cases [${backendName()}]`, () => {
  let server: TestServer;
  let entra: EmulatedEntra;
  let okta: EmulatedOkta;
  let alice: DeviceCredentials;
  let aliceId: string;
  let browsers: ReturnType<typeof deviceBrowsers>;
  const browserOn = (credentials: DeviceCredentials | null) => browsers.on(credentials);

  beforeAll(async () => {
    [server, entra] = await Promise.all([startServer(), EmulatedEntra.start()]);
    await server.app.services.deviceTrust.initCa({ actor: 'test' });
    browsers = deviceBrowsers(server);
    aliceId = (await server.addUser('alice')).user.id;
    await server.addUser('bob');
    const factor = await server.addFactorClient('okta', { oktaDomain: 'acme.okta.com' });
    okta = new EmulatedOkta(server, factor.clientId, factor.clientSecret!);
    alice = await enrolledDevice(server, 'alice');
  });
  afterAll(async () => {
    await browsers?.close();
    await entra?.close();
    await server?.close();
  });

  /** Follows oidc-provider's auto-submitting form posts (the logout of another account) as a browser would. */
  async function followForms(browser: HttpUser, landing: Landing): Promise<Landing> {
    for (let i = 0; i < 3 && landing.kind === 'page'; i += 1) {
      const action = /<form method="post" action="([^"]+)"/.exec(landing.page.html)?.[1];
      if (!action) break;
      const fields: Record<string, string> = {};
      for (const m of landing.page.html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) {
        fields[m[1]!] = m[2]!;
      }
      landing = await browser.go(new URL(action.replace(/&amp;/g, '&'), server.issuer).toString(), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(fields).toString(),
      });
    }
    return landing;
  }

  it('refuses a login_hint too long to check instead of ignoring it', async () => {
    const request = okta.authorizationRequest({ login_hint: `bob@example.com${' '.repeat(310)}` });
    const landing = await browserOn(alice).go(request.url);
    if (landing.kind !== 'callback') throw new Error('expected a callback');
    const outcome = await okta.callback(landing.url, request);
    expect(outcome.kind).toBe('error');
  });

  it("signs the device owner in although another user's password session is in the browser", async () => {
    const rp = await server.addClient({ name: 'RP', redirectUri: [REDIRECT_URI] });
    const party = await relyingParty(server, rp.clientId, rp.clientSecret);
    const browser = browserOn(alice);
    const started = await party.start();
    expect((await browser.signIn(started.url, { username: 'bob', password: PASSWORD })).kind).toBe('callback');
    const request = okta.authorizationRequest();
    const landing = await followForms(browser, await browser.go(request.url));
    if (landing.kind !== 'callback') throw new Error(`expected a callback, got ${landing.page.html.slice(0, 300)}`);
    const outcome = await okta.callback(landing.url, request);
    expect(outcome).toMatchObject({ kind: 'signed-in', claims: { sub: aliceId } });
    expect(browser.visited.some((url) => url.includes('/device/sign-in?ref='))).toBe(true);
  });

  it('does not issue an id_token without the preferred_username the client matches users on', async () => {
    const c = await server.addFactorClient('okta', {
      oktaDomain: 'attr.okta.com',
      preferredUsername: 'attribute:okta_login',
    });
    const idp = new EmulatedOkta(server, c.clientId, c.clientSecret!, 'attr.okta.com');
    const request = idp.authorizationRequest();
    const landing = await browserOn(alice).go(request.url);
    if (landing.kind !== 'callback') throw new Error('expected a callback');
    const outcome = await idp.callback(landing.url, request);
    expect(outcome).toMatchObject({ kind: 'error', error: 'access_denied' });
  });

  it('answers Entra with an error, not amr [], when no amr value it asked for fits the proof', async () => {
    const clientId = (await server.addFactorClient('entra', { tenantId: entra.tenantId, entraJwksUri: entra.jwksUri }))
      .clientId;
    const request = entra.request(clientId, await entra.hint(clientId));
    request.body.set(
      'claims',
      JSON.stringify({
        id_token: {
          acr: { essential: true, values: ['possessionorinherence'] },
          amr: { essential: true, values: ['face'] },
        },
      }),
    );
    const landing = await browserOn(alice).go(`${server.issuer}/auth`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: request.body.toString(),
    });
    if (landing.kind !== 'page') throw new Error('expected a form_post page');
    const { fields } = formPostOf(landing.page.html);
    expect(fields.id_token).toBeUndefined();
    expect(fields).toMatchObject({ error: 'unmet_authentication_requirements', state: request.state });
  });

  it('refuses a login_hint with a NUL at the redirect_uri, on every backend', async () => {
    const request = okta.authorizationRequest({ login_hint: 'alice\u0000' });
    const landing = await browserOn(alice).go(request.url);
    if (landing.kind !== 'callback') throw new Error('expected a callback');
    expect(await okta.callback(landing.url, request)).toMatchObject({ kind: 'error', error: 'access_denied' });
  });

  it('answers prompt=none without a session with login_required at the redirect_uri, and with one with a code', async () => {
    const silent = okta.authorizationRequest({ prompt: 'none' });
    const cold = await browserOn(alice).go(silent.url);
    if (cold.kind !== 'callback') throw new Error('expected a callback, not a page');
    expect(await okta.callback(cold.url, silent)).toMatchObject({ kind: 'error', error: 'login_required' });

    const browser = browserOn(alice);
    const first = okta.authorizationRequest();
    const proven = await browser.go(first.url);
    if (proven.kind !== 'callback') throw new Error('expected a callback');
    expect(await okta.callback(proven.url, first)).toMatchObject({ kind: 'signed-in', username: 'alice@example.com' });
    const again = okta.authorizationRequest({ prompt: 'none' });
    const warm = await browser.go(again.url);
    if (warm.kind !== 'callback') throw new Error('expected a callback, not a page');
    expect(await okta.callback(warm.url, again)).toMatchObject({ kind: 'signed-in', username: 'alice@example.com' });
  });

  it("never lets a device_context answer replace another person's session in the browser", async () => {
    const posture = await server.addFactorClient('okta', {
      oktaDomain: 'posture.okta.com',
      unmanaged: 'device-context',
    });
    const reporting = new EmulatedOkta(server, posture.clientId, posture.clientSecret!, 'posture.okta.com');
    const browser = browserOn(alice);
    const first = okta.authorizationRequest();
    const signedIn = await browser.go(first.url);
    if (signedIn.kind !== 'callback') throw new Error('expected a callback');
    expect(await okta.callback(signedIn.url, first)).toMatchObject({ kind: 'signed-in', claims: { sub: aliceId } });
    // Another site sends a browser to the reporting client naming bob: a fresh browser gets bob's answer
    // (managed: false), alice's browser (its profile without the certificate) is refused instead.
    const fresh = reporting.authorizationRequest({ login_hint: 'bob@example.com' });
    const freshLanding = await new HttpUser(server.fetch, server.issuer).go(fresh.url);
    if (freshLanding.kind !== 'callback') throw new Error('expected a callback');
    expect(await reporting.callback(freshLanding.url, fresh)).toMatchObject({
      kind: 'signed-in',
      claims: { device_context: { managed: false } },
    });
    const planted = reporting.authorizationRequest({ login_hint: 'bob@example.com' });
    const sameProfile = browserOnSameCookies(browser);
    const hijack = await followForms(sameProfile, await sameProfile.go(planted.url));
    if (hijack.kind !== 'callback') throw new Error('expected a callback');
    expect(await reporting.callback(hijack.url, planted)).toMatchObject({ kind: 'error', error: 'access_denied' });
    // Alice's session still answers Okta.
    const again = okta.authorizationRequest();
    const landing = await browser.go(again.url);
    if (landing.kind !== 'callback') throw new Error('expected a callback');
    expect(await okta.callback(landing.url, again)).toMatchObject({ kind: 'signed-in', claims: { sub: aliceId } });
  });

  /** A browser without the device's certificate that shares `browser`'s cookies (the same profile). */
  function browserOnSameCookies(browser: HttpUser): HttpUser {
    const other = browserOn(null);
    for (const [name, value] of browser.cookies) other.cookies.set(name, value);
    return other;
  }

  it('stores --entra-jwks-file as an absolute path', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'review-cli-'));
    writeFileSync(path.join(dir, 'keys.json'), JSON.stringify({ keys: [] }));
    const added = await adminCli(
      server,
      {},
      dir,
    )([
      'clients',
      'add-factor',
      'entra',
      '--tenant-id',
      '72f988bf-86f1-41af-91ab-2d7cd011db47',
      '--entra-jwks-file',
      'keys.json',
      '--json',
    ]);
    expect(added.status).toBe(0);
    const { client_id } = JSON.parse(added.stdout) as { client_id: string };
    const stored = (await server.app.services.clients.require(client_id)).factor!.entra!.jwksFile;
    expect(stored).toBe(path.join(dir, 'keys.json'));
  });
});
