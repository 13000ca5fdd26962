// /metrics as an operator meets it: nothing by default; on the main listener only to the bearer token,
// also when scraped by IP address; counters that move with real sign-ins, token requests, device checks,
// enrollments and rate-limit refusals; store latency; no user or address in any label; or on a listener of
// its own.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { newDeviceKey } from '../../../src/agent/keys.js';
import { startServer, type TestServer } from '../../helpers/server.js';
import { HttpUser, expectCallback } from '../../helpers/http-user.js';
import { oauthError, relyingParty, REDIRECT_URI, type RelyingParty } from '../../helpers/rp.js';
import { backendName } from '../../helpers/backend.js';
import { mutualTlsFetch, postEnroll } from '../device-trust/helpers.js';

const TOKEN = 'scrape-token-0123456789abcdef0123456789';

/** The value of the sample `name{labels}`, or undefined when the scrape has none. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) return Number(match[3]);
  }
  return undefined;
}

describe(`metrics are off by default [${backendName()}]`, () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('exposes nothing at /metrics, with or without a token', async () => {
    for (const headers of [{}, { authorization: `Bearer ${TOKEN}` }] as Array<Record<string, string>>) {
      const response = await server.fetch(`${server.issuer}/metrics`, { headers });
      expect(response.status).toBe(404);
      expect(await response.text()).not.toContain('latchkey_');
    }
    expect(server.app.metricsPort).toBeUndefined();
  });
});

describe(`metrics on the main listener [${backendName()}]`, () => {
  let server: TestServer;
  let rp: RelyingParty;
  let clientId: string;
  const scrape = async (token = TOKEN, url = `${server.issuer}/metrics`) => {
    const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
    const response = await server.fetch(url, { headers });
    return { status: response.status, headers: response.headers, text: await response.text() };
  };

  beforeAll(async () => {
    server = await startServer({
      metrics: { token: TOKEN },
      security: { rate_limits: { login_per_user: { max: 2, window_seconds: 900 } } },
    });
    const client = await server.addClient({ name: 'Metrics RP', redirectUri: [REDIRECT_URI] });
    clientId = client.clientId;
    rp = await relyingParty(server, client.clientId, client.clientSecret);
  });
  afterAll(async () => {
    await server?.close();
  });

  it('refuses a scrape without the token or with a wrong one (401)', async () => {
    for (const token of ['', 'not-the-token']) {
      const refused = await scrape(token);
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
      expect(refused.text).not.toContain('latchkey_');
    }
  });

  it('answers a scrape by IP address, which the Host check would refuse for any other path', async () => {
    const byIp = `https://127.0.0.1:${server.port}`;
    expect((await scrape(TOKEN, `${byIp}/metrics`)).status).toBe(200);
    expect((await server.fetch(`${byIp}/.well-known/openid-configuration`)).status).toBe(421);
  });

  it('counts a sign-in by client and outcome, the decision, the tokens and the store queries', async () => {
    const { user, password, totpSecret } = await server.addUser('mia', { totp: true });
    const started = await rp.start();
    const landing = await new HttpUser(server.fetch, server.issuer).signIn(started.url, {
      username: 'mia',
      password,
      totpSecret,
    });
    await rp.finish(expectCallback(landing), started);
    const { status, headers, text } = await scrape();
    expect(status).toBe(200);
    expect(headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(sample(text, 'latchkey_sign_ins_total', { client: clientId, outcome: 'success', error: 'none' })).toBe(1);
    expect(sample(text, 'latchkey_policy_decisions_total', { outcome: 'allow', basis: 'default' })).toBe(1);
    for (const token of ['access_token', 'id_token']) {
      expect(sample(text, 'latchkey_tokens_issued_total', { grant_type: 'authorization_code', token })).toBe(1);
    }
    const store = server.backend.redisUrl ? 'redis' : 'sql';
    expect(
      sample(text, 'latchkey_store_operation_duration_seconds_count', { store: 'sql', operation: 'select' }),
    ).toBeGreaterThan(0);
    expect(sample(text, 'latchkey_store_operation_duration_seconds_count', { store })).toBeGreaterThan(0);
    expect(sample(text, 'nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
    // Labels name clients and codes, never people or addresses.
    for (const secret of [user.id, 'mia', '127.0.0.1']) expect(text).not.toContain(secret);
  });

  it('counts a failed sign-in with its error, a refused token request and rate-limit refusals', async () => {
    await server.addUser('max');
    const started = await rp.start();
    const browser = new HttpUser(server.fetch, server.issuer);
    let landing = await browser.go(started.url);
    for (let i = 0; i < 3 && landing.kind === 'page'; i += 1) {
      landing = await browser.submit(landing.page, '/password', { username: 'max', password: 'wrong' });
    }
    if (landing.kind !== 'page') throw new Error('expected the sign-in page again');
    expect(landing.page.status).toBe(429);
    landing = await browser.submit(landing.page, '/abort', {});
    expect(await oauthError(rp.finish(expectCallback(landing), started))).toMatchObject({ error: 'access_denied' });
    const text = (await scrape()).text;
    expect(sample(text, 'latchkey_rate_limit_refusals_total', { limit: 'login_per_user' })).toBe(1);
    expect(sample(text, 'latchkey_token_errors_total')).toBeUndefined();

    const refusedCode = await server.fetch(`${server.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: 'nope', client_id: clientId }).toString(),
    });
    expect(refusedCode.status).toBeGreaterThanOrEqual(400);
    const after = (await scrape()).text;
    expect(
      (sample(after, 'latchkey_token_errors_total', { grant_type: 'authorization_code', error: 'invalid_client' }) ??
        0) +
        (sample(after, 'latchkey_token_errors_total', { grant_type: 'authorization_code', error: 'invalid_grant' }) ??
          0),
    ).toBe(1);
  });

  it('counts a sign-in the policies allow but the user cannot complete as a failure', async () => {
    const { password } = await server.addUser('nia');
    const started = await rp.start({ acr_values: 'urn:latchkey:acr:mfa' });
    const landing = await new HttpUser(server.fetch, server.issuer).signIn(started.url, { username: 'nia', password });
    expect(expectCallback(landing).searchParams.get('error')).toBe('unmet_authentication_requirements');
    const text = (await scrape()).text;
    expect(
      sample(text, 'latchkey_sign_ins_total', {
        client: clientId,
        outcome: 'failure',
        error: 'unmet_authentication_requirements',
      }),
    ).toBe(1);
  });

  it('counts device checks by result and enrollments by outcome', async () => {
    const trust = server.app.services.deviceTrust;
    await trust.initCa({ actor: 'test' });
    await server.addUser('dev');
    const { token } = await trust.createEnrollmentToken('dev', { actor: 'test' });
    const key = await newDeviceKey();
    const enrolled = await postEnroll(server, {
      token,
      csr: key.csrPem,
      posture: { platform: 'linux', osVersion: '6.1', integrity: 'secure-boot-on' },
    });
    expect(enrolled.status).toBe(201);
    // The token is used up: refused.
    expect((await postEnroll(server, { token, csr: key.csrPem, posture: { platform: 'linux' } })).status).toBe(401);
    const device = mutualTlsFetch(server, {
      certificatePem: enrolled.body.certificate as string,
      chainPem: enrolled.body.chain as string[],
      privateKeyPem: key.privateKeyPem,
    });
    const anonymous = mutualTlsFetch(server, null);
    try {
      const checked = (await (await device.fetch(`${server.deviceCheckUrl}/device/check`)).json()) as {
        status: string;
      };
      await anonymous.fetch(`${server.deviceCheckUrl}/device/check`);
      const text = (await scrape()).text;
      expect(sample(text, 'latchkey_device_checks_total', { via: 'check_endpoint', result: checked.status })).toBe(1);
      expect(sample(text, 'latchkey_device_checks_total', { via: 'check_endpoint', result: 'unmanaged' })).toBe(1);
      expect(sample(text, 'latchkey_device_enrollments_total', { channel: 'agent', outcome: 'success' })).toBe(1);
      const refusals = text
        .split('\n')
        .filter((l) => l.startsWith('latchkey_device_enrollments_total{') && l.includes('outcome="failure"'));
      expect(refusals).toHaveLength(1);
      expect(refusals[0]).toMatch(/code="ERR_[A-Z_]+"/);
    } finally {
      await device.close();
      await anonymous.close();
    }
  });
});

describe(`metrics on a listener of their own [${backendName()}]`, () => {
  let server: TestServer;
  beforeAll(async () => {
    const net = await import('node:net');
    const port = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as { port: number };
        probe.close(() => resolve(free));
      });
    });
    server = await startServer({ metrics: { port, host: '127.0.0.1' } });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('serves /metrics there without a token, and not on the main listener', async () => {
    const response = await fetch(`http://127.0.0.1:${server.app.metricsPort}/metrics`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('# TYPE latchkey_sign_ins_total counter');
    expect((await server.fetch(`${server.issuer}/metrics`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${server.app.metricsPort}/other`)).status).toBe(404);
  });
});
