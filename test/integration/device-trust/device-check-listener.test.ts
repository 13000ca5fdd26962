// The device-check listener and the renewal window with default settings: an early renewal is refused
// with ERR_RENEWAL_NOT_DUE (and the agent treats that as success), TLS sessions are never resumed there,
// only its own endpoints answer, the CRL is served from cache until revocations change, and enrollment
// and renewal are rate-limited per IP.
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type AgentState, loadAgentState } from '../../../src/agent/state.js';
import { joinPem } from '../../../src/trust/pem.js';
import { backendName } from '../../helpers/backend.js';
import { startServer, type TestServer } from '../../helpers/server.js';
import { type AgentHome, agentHome, enrollArgs, mutualTlsFetch, postEnroll, tableCounts } from './helpers.js';

const LIMITS = { enroll_per_ip: { max: 3, window_seconds: 600 }, renew_per_ip: { max: 8, window_seconds: 600 } };

describe(`device-check listener and renewal window [${backendName()}]`, () => {
  let server: TestServer;
  let laptop: AgentHome;
  let device: AgentState;

  const withDevice = () =>
    mutualTlsFetch(server, {
      certificatePem: device.certificatePem,
      chainPem: device.chainPem,
      privateKeyPem: device.privateKeyPem,
    });
  const renewDirectly = async (client: ReturnType<typeof mutualTlsFetch>, body = '{}') => {
    const response = await client.fetch(`${server.deviceCheckUrl}/device/renew`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body,
    });
    return {
      status: response.status,
      headers: response.headers,
      body: (await response.json()) as Record<string, unknown>,
    };
  };

  beforeAll(async () => {
    server = await startServer({ device_trust: { rate_limits: LIMITS } });
    await server.addUser('alice');
    const trust = server.app.services.deviceTrust;
    await trust.initCa({ actor: 'test' });
    laptop = agentHome();
    const { token } = await trust.createEnrollmentToken('alice', { actor: 'test' });
    const enrolled = await laptop.run(enrollArgs(server, token));
    expect(enrolled.status).toBe(0);
    device = (await loadAgentState(laptop.stateDir))!;
  });
  afterAll(async () => {
    laptop?.dispose();
    await server?.close();
  });

  it('does not even ask before the renewal window opens, and exits 0', async () => {
    const result = await laptop.run(['renew']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^renewal not due until \d{4}-\d\d-\d\dT/);
  });

  it('refuses a forced renewal before the window with ERR_RENEWAL_NOT_DUE; the agent exits 0 and nothing changes', async () => {
    const before = await tableCounts(server.app.services.db);
    const forced = await laptop.run(['renew', '--force']);
    expect(forced).toMatchObject({ status: 0, stdout: 'renewal not due (server)\n' });
    const client = withDevice();
    try {
      const direct = await renewDirectly(client);
      expect(direct.status).toBe(409);
      expect(direct.body.error).toBe('ERR_RENEWAL_NOT_DUE');
      expect(direct.body.error_description).toMatch(/^renewal is not due until \d{4}-/);
    } finally {
      await client.close();
    }
    expect(await tableCounts(server.app.services.db)).toEqual(before);
    expect((await loadAgentState(laptop.stateDir))!.certificatePem).toBe(device.certificatePem);
  });

  it('refuses a renewal without a client certificate with ERR_CERT_MISSING', async () => {
    const anonymous = mutualTlsFetch(server, null);
    try {
      expect(await renewDirectly(anonymous)).toMatchObject({ status: 401, body: { error: 'ERR_CERT_MISSING' } });
    } finally {
      await anonymous.close();
    }
  });

  it('answers only its own endpoints, as JSON, and never redirects', async () => {
    const client = withDevice();
    try {
      for (const target of ['/', '/auth', '/device/enroll', '/interaction/x', '//evil.example/']) {
        const response = await client.fetch(`${server.deviceCheckUrl}${target}`, { redirect: 'manual' });
        expect({ target, status: response.status }).toEqual({ target, status: 404 });
        expect(await response.json()).toEqual({
          error: 'ERR_NOT_FOUND',
          error_description: 'no such endpoint on the device-check listener',
        });
      }
      const wrongMethod = await client.fetch(`${server.deviceCheckUrl}/device/renew`);
      expect(wrongMethod.status).toBe(405);
    } finally {
      await client.close();
    }
  });

  it('never resumes a TLS session, where the main listener does: every request shows its certificate', async () => {
    const credentials = { cert: joinPem([device.certificatePem, ...device.chainPem]), key: device.privateKeyPem };
    for (const maxVersion of ['TLSv1.2', 'TLSv1.3'] as const) {
      const main = await resumedOnSecondConnection(server.port, { maxVersion });
      expect({ listener: 'main', maxVersion, reused: main.reused }).toEqual({
        listener: 'main',
        maxVersion,
        reused: true,
      });
      const check = await resumedOnSecondConnection(server.deviceCheckPort, { maxVersion, ...credentials });
      expect({ listener: 'device-check', maxVersion, reused: check.reused }).toEqual({
        listener: 'device-check',
        maxVersion,
        reused: false,
      });
      expect(check.secondResponse).toMatch(/"status":"(managed|trusted)"/);
    }

    async function resumedOnSecondConnection(
      port: number,
      options: tls.ConnectionOptions,
    ): Promise<{ reused: boolean; secondResponse: string }> {
      const first = await request(port, options);
      const second = await request(port, { ...options, session: first.session });
      return { reused: second.reused, secondResponse: second.response };
    }

    function request(
      port: number,
      options: tls.ConnectionOptions,
    ): Promise<{ session: Buffer | undefined; reused: boolean; response: string }> {
      return new Promise((resolve, reject) => {
        let session: Buffer | undefined;
        let response = '';
        let reused = false;
        const socket = tls.connect({
          host: '127.0.0.1',
          port,
          servername: 'localhost',
          ca: server.app.tls.cert,
          ...options,
        });
        socket.on('session', (ticket: Buffer) => (session = ticket));
        socket.once('secureConnect', () => {
          reused = socket.isSessionReused();
          socket.write('GET /device/check HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
        });
        socket.setEncoding('utf8');
        socket.on('data', (chunk: string) => (response += chunk));
        socket.once('error', reject);
        socket.once('close', () => resolve({ session: session ?? socket.getSession(), reused, response }));
      });
    }
  });

  it('serves the same CRL until a revocation changes it', async () => {
    const fetchCrl = async () => Buffer.from(await (await server.fetch(`${server.issuer}/device/crl`)).arrayBuffer());
    const first = await fetchCrl();
    expect((await fetchCrl()).equals(first)).toBe(true);
    const other = agentHome();
    try {
      const { token } = await server.app.services.deviceTrust.createEnrollmentToken('alice', { actor: 'test' });
      expect((await other.run(enrollArgs(server, token))).status).toBe(0);
      const { deviceId } = (await loadAgentState(other.stateDir))!;
      await server.app.services.deviceTrust.revokeDevice(deviceId, { reason: 'keyCompromise', actor: 'test' });
      const after = await fetchCrl();
      expect(after.equals(first)).toBe(false);
      expect(after.length).toBeGreaterThan(first.length);
      expect((await fetchCrl()).equals(after)).toBe(true);
    } finally {
      other.dispose();
    }
  });

  it('limits enrollment and renewal requests per IP address (429 with Retry-After)', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < LIMITS.enroll_per_ip.max + 1; i++) statuses.push((await postEnroll(server, {})).status);
    const limited = await postEnroll(server, {});
    expect(limited).toEqual({
      status: 429,
      body: { error: 'ERR_RATE_LIMITED', error_description: expect.stringMatching(/^too many requests/) },
    });
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThan(0);

    const client = withDevice();
    try {
      let renewal = await renewDirectly(client);
      for (let i = 0; i < LIMITS.renew_per_ip.max && renewal.status !== 429; i++) renewal = await renewDirectly(client);
      expect(renewal.status).toBe(429);
      expect(Number(renewal.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      await client.close();
    }
  });
});
