// PostgreSQL stalled (SIGSTOP) and killed under a running Latchkey: requests fail within the configured
// timeouts with 503 or temporarily_unavailable at the relying party instead of hanging (a stalled server
// once held a login for 25 s), nothing is half-written (an enrollment refused during the outage leaves its
// token usable), and service comes back by itself. The PostgreSQL is the test's own, on a spare port.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { backendName } from '../../helpers/backend.js';
import { HttpUser } from '../../helpers/http-user.js';
import { startOwnPostgres, type OwnStore } from '../../helpers/own-stores.js';
import { REDIRECT_URI } from '../../helpers/rp.js';
import { PASSWORD, startServer, type TestServer } from '../../helpers/server.js';
import { csrFor, ecKeys } from '../../unit/trust/fixtures.js';
import { EmulatedOkta } from '../../helpers/okta.js';
import { deviceBrowsers, enrolledDevice, postEnroll, type DeviceCredentials } from '../device-trust/helpers.js';

const TIMEOUTS = { connect_timeout_seconds: 1, acquire_timeout_seconds: 1, statement_timeout_seconds: 1 };

describe(`PostgreSQL outage [sessions: ${backendName().includes('redis') ? 'redis' : 'sql'}]`, () => {
  let postgres: OwnStore;
  let server: TestServer;
  let client: { clientId: string; clientSecret: string | null };
  let okta: EmulatedOkta;
  let device: DeviceCredentials;
  let browsers: ReturnType<typeof deviceBrowsers>;

  beforeAll(async () => {
    postgres = await startOwnPostgres();
    server = await startServer({ database: { url: postgres.url, ...TIMEOUTS } });
    await server.app.services.deviceTrust.initCa({ actor: 'test' });
    client = await server.addClient({ name: 'PG outage RP', redirectUri: [REDIRECT_URI] });
    await server.addUser('petra');
    const factor = await server.addFactorClient('okta', { oktaDomain: 'acme.okta.com' });
    okta = new EmulatedOkta(server, factor.clientId, factor.clientSecret!);
    device = await enrolledDevice(server, 'petra');
    browsers = deviceBrowsers(server);
  });
  afterAll(async () => {
    await browsers?.close();
    await server?.close();
    await postgres?.dispose();
  });

  const authorizeUrl = (state: string) =>
    `${server.issuer}/auth?${new URLSearchParams({
      client_id: client.clientId,
      response_type: 'code',
      redirect_uri: REDIRECT_URI,
      scope: 'openid',
      state,
    })}`;

  async function signIn(browser = new HttpUser(server.fetch, server.issuer)) {
    return browser.signIn(authorizeUrl('s'), { username: 'petra', password: PASSWORD });
  }

  async function eventually(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await check().catch(() => false)) return true;
      await new Promise((r) => setTimeout(r, 250));
    }
    return false;
  }

  const signsIn = async () => {
    const landing = await signIn();
    return landing.kind === 'callback' && landing.url.searchParams.has('code');
  };

  it('fails a sign-in fast while PostgreSQL is stalled, issues nothing, and recovers on SIGCONT', async () => {
    const browser = new HttpUser(server.fetch, server.issuer);
    const login = await browser.go(authorizeUrl('stalled'));
    if (login.kind !== 'page') throw new Error('expected the sign-in page');
    postgres.pause();
    try {
      const started = Date.now();
      const landing = await browser.submit(login.page, '/password', { username: 'petra', password: PASSWORD });
      const elapsed = Date.now() - started;
      // Bounded by the configured timeouts (about a second each), not by the stall.
      expect(elapsed).toBeLessThan(10_000);
      if (landing.kind === 'callback') {
        expect(landing.url.searchParams.get('error')).toBe('temporarily_unavailable');
        expect(landing.url.searchParams.get('state')).toBe('stalled');
      } else {
        expect(landing.page.status).toBe(503);
      }
    } finally {
      postgres.resume();
    }
    expect(await eventually(signsIn)).toBe(true);
  });

  it("ends an Okta factor sign-in during the stall at Okta's redirect_uri or with a 503, and recovers", async () => {
    postgres.pause();
    try {
      const request = okta.authorizationRequest();
      const started = Date.now();
      const landing = await browsers.on(device).go(request.url);
      expect(Date.now() - started).toBeLessThan(10_000);
      if (landing.kind === 'callback') {
        expect(await okta.callback(landing.url, request)).toMatchObject({
          kind: 'error',
          error: 'temporarily_unavailable',
        });
      } else {
        expect(landing.page.status).toBe(503);
      }
    } finally {
      postgres.resume();
    }
    const proven = async () => {
      const request = okta.authorizationRequest();
      const landing = await browsers.on(device).go(request.url);
      return landing.kind === 'callback' && (await okta.callback(landing.url, request)).kind === 'signed-in';
    };
    expect(await eventually(proven)).toBe(true);
  });

  it('refuses an enrollment while PostgreSQL is down without using up its token, and recovers after a restart', async () => {
    const { token } = await server.app.services.deviceTrust.createEnrollmentToken('petra', { actor: 'test' });
    const enrollment = { token, csr: await csrFor(await ecKeys()), posture: { platform: 'linux' } };
    await postgres.kill();
    const during = await postEnroll(server, enrollment);
    expect(during).toMatchObject({ status: 503, body: { error: 'ERR_STORE_UNAVAILABLE' } });
    const discovery = await new HttpUser(server.fetch, server.issuer).go(authorizeUrl('down'));
    if (discovery.kind === 'callback') expect(discovery.url.searchParams.get('error')).toBe('temporarily_unavailable');
    else expect(discovery.page.status).toBe(503);

    await postgres.restart();
    expect(await eventually(signsIn)).toBe(true);
    const enrolled = await postEnroll(server, enrollment);
    expect(enrolled.status).toBe(201);
    expect(enrolled.body.deviceId).toBeDefined();
  });
});
