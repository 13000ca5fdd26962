// Redis (sessions, interactions, codes, tokens and rate limits) killed and stalled under a running
// Latchkey: every endpoint answers 503 with Retry-After, or temporarily_unavailable at the relying party's
// redirect_uri, never a 500 and never a hang; nothing is issued while it is down; and service comes back by
// itself when Redis does. The Redis is the test's own, on a spare port.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { backendName } from '../../helpers/backend.js';
import { HttpUser } from '../../helpers/http-user.js';
import { startOwnRedis, type OwnStore } from '../../helpers/own-stores.js';
import { REDIRECT_URI } from '../../helpers/rp.js';
import { PASSWORD, startServer, type TestServer } from '../../helpers/server.js';

describe(`Redis outage [${backendName()} database]`, () => {
  let redis: OwnStore;
  let server: TestServer;
  let client: { clientId: string; clientSecret: string | null };

  beforeAll(async () => {
    redis = await startOwnRedis();
    server = await startServer({ redis: { url: redis.url, command_timeout_seconds: 0.5, connect_timeout_seconds: 1 } });
    client = await server.addClient({
      name: 'Outage RP',
      redirectUri: [REDIRECT_URI],
      grantType: ['authorization_code', 'client_credentials'],
    });
    await server.addUser('olive');
  });
  afterAll(async () => {
    await server?.close();
    await redis?.dispose();
  });

  const authorizeUrl = (state: string) =>
    `${server.issuer}/auth?${new URLSearchParams({
      client_id: client.clientId,
      response_type: 'code',
      redirect_uri: REDIRECT_URI,
      scope: 'openid',
      state,
    })}`;

  const clientCredentials = () =>
    server.fetch(`${server.issuer}/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });

  async function signsIn(): Promise<boolean> {
    const landing = await new HttpUser(server.fetch, server.issuer).signIn(authorizeUrl('ok'), {
      username: 'olive',
      password: PASSWORD,
    });
    return landing.kind === 'callback' && landing.url.searchParams.has('code');
  }

  async function eventually(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await check().catch(() => false)) return true;
      await new Promise((r) => setTimeout(r, 250));
    }
    return false;
  }

  it('answers 503 / temporarily_unavailable while Redis is down and recovers without a restart', async () => {
    expect(await signsIn()).toBe(true);
    // A sign-in already on its password page when Redis goes away.
    const browser = new HttpUser(server.fetch, server.issuer);
    const login = await browser.go(authorizeUrl('pending'));
    if (login.kind !== 'page') throw new Error('expected the sign-in page');

    await redis.kill();

    const fresh = await new HttpUser(server.fetch, server.issuer).go(authorizeUrl('during'));
    if (fresh.kind !== 'callback') throw new Error(`expected the callback, got page ${fresh.page.status}`);
    expect(fresh.url.searchParams.get('error')).toBe('temporarily_unavailable');
    expect(fresh.url.searchParams.get('state')).toBe('during');

    const token = await clientCredentials();
    expect(token.status).toBe(503);
    expect(token.headers.get('retry-after')).toBe('5');
    expect(((await token.json()) as { error: string }).error).toBe('temporarily_unavailable');

    const pending = await browser.submit(login.page, '/password', { username: 'olive', password: PASSWORD });
    if (pending.kind !== 'page') throw new Error('nothing may be issued while Redis is down');
    expect(pending.page.status).toBe(503);
    expect(pending.page.html).toContain('Temporarily unavailable');

    const ready = await server.fetch(`${server.issuer}/readyz`);
    expect(ready.status).toBe(503);

    await redis.restart();
    expect(await eventually(signsIn)).toBe(true);
    expect((await clientCredentials()).status).toBe(200);
  });

  it('fails fast while Redis is stalled (SIGSTOP) and recovers on SIGCONT', async () => {
    redis.pause();
    try {
      const started = Date.now();
      const token = await clientCredentials();
      expect(token.status).toBe(503);
      // Bounded by redis.command_timeout_seconds, not by how long Redis stays stopped.
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      redis.resume();
    }
    expect(await eventually(signsIn)).toBe(true);
  });
});

describe('the server process while Redis goes away', () => {
  it('reports Redis connection errors in its JSON log, once, not as raw stderr lines', async () => {
    const { spawn } = await import('node:child_process');
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const net = await import('node:net');
    const freePort = () =>
      new Promise<number>((resolve) => {
        const probe = net.createServer().listen(0, '127.0.0.1', () => {
          const { port } = probe.address() as { port: number };
          probe.close(() => resolve(port));
        });
      });
    const redis = await startOwnRedis();
    const dataDir = mkdtempSync(path.join(tmpdir(), 'latchkey-redis-log-'));
    const child = spawn(process.execPath, ['bin/latchkey-server.js'], {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        LATCHKEY_DATA_DIR: dataDir,
        LATCHKEY_HOST: '127.0.0.1',
        LATCHKEY_PORT: String(await freePort()),
        LATCHKEY_DEVICE_CHECK_PORT: String(await freePort()),
        LATCHKEY_REDIS_URL: redis.url,
        LATCHKEY_LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const waitFor = async (predicate: () => boolean, ms: number) => {
      const deadline = Date.now() + ms;
      while (!predicate() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      return predicate();
    };
    try {
      expect(await waitFor(() => stdout.includes('"msg":"Latchkey is listening"'), 45_000)).toBe(true);
      await redis.kill();
      expect(await waitFor(() => stdout.includes('"msg":"Redis connection error"'), 10_000)).toBe(true);
      await new Promise((r) => setTimeout(r, 1500));
      await redis.restart();
      expect(await waitFor(() => stdout.includes('"msg":"Redis connection restored"'), 10_000)).toBe(true);
      expect(stdout.match(/"msg":"Redis connection error"/g)).toHaveLength(1);
      expect(stderr).not.toContain('ioredis');
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      await redis.dispose();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
