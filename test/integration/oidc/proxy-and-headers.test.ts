// Forwarded headers are believed only from trusted proxies; every page carries the security headers;
// health endpoints answer probes by IP.
import https from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startServer, type TestServer } from '../../helpers/server.js';
import { HttpUser } from '../../helpers/http-user.js';
import { relyingParty, REDIRECT_URI } from '../../helpers/rp.js';
import { backendName } from '../../helpers/backend.js';

function get(
  server: TestServer,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    https
      .get(
        { host: '127.0.0.1', port: server.port, path, headers, ca: server.app.tls.cert, servername: 'localhost' },
        (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => (body += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      )
      .on('error', reject);
  });
}

describe(`proxies and headers [${backendName()}]`, () => {
  describe('with no trusted proxy', () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startServer();
    });
    afterAll(async () => {
      await server?.close();
    });

    it('ignores X-Forwarded-Host/-Proto from an untrusted peer: discovery keeps the issuer', async () => {
      const host = `localhost:${server.port}`;
      const response = await get(server, '/.well-known/openid-configuration', {
        host,
        'x-forwarded-host': 'evil.example',
        'x-forwarded-proto': 'http',
      });
      expect(response.status).toBe(200);
      const doc = JSON.parse(response.body) as Record<string, string>;
      expect(doc.authorization_endpoint).toBe(`${server.issuer}/auth`);
      expect(response.body).not.toContain('evil.example');
    });

    it('sends CSP, frame-ancestors, HSTS and nosniff on the sign-in page', async () => {
      const { clientId, clientSecret } = await server.addClient({ name: 'Header RP', redirectUri: [REDIRECT_URI] });
      const rp = await relyingParty(server, clientId, clientSecret);
      const user = new HttpUser(server.fetch, server.issuer);
      let response = await user.request((await rp.start()).url);
      while (response.status >= 300 && response.status < 400)
        response = await user.request(new URL(response.headers.get('location')!, server.issuer).toString());
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("frame-ancestors 'none'");
      // The device-check listener too: a post on this page may be redirected there (a device certificate
      // as the step after the password), and browsers apply form-action to that redirect.
      const deviceCheck = new URL(server.app.services.deviceTrust.deviceCheckUrl).origin;
      expect(csp).toContain(`form-action 'self' ${deviceCheck} https://rp.example.test`);
      expect(response.headers.get('strict-transport-security')).toContain('max-age=');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('x-frame-options')).toBe('DENY');
    });

    it('answers /healthz and /readyz for probes by IP address', async () => {
      const health = await get(server, '/healthz', { host: '10.1.2.3:8443' });
      expect(health.status).toBe(200);
      const ready = await get(server, '/readyz', { host: '10.1.2.3:8443' });
      expect(ready.status).toBe(200);
      expect(JSON.parse(ready.body).checks.database).toBe('ok');
    });
  });

  describe('behind a trusted proxy on loopback', () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startServer({ server: { trusted_proxies: ['127.0.0.1/32', '::1'] } });
    });
    afterAll(async () => {
      await server?.close();
    });

    it('believes the proxy but still refuses a forwarded host that is not the issuer', async () => {
      const host = `localhost:${server.port}`;
      const forged = await get(server, '/.well-known/openid-configuration', {
        host,
        'x-forwarded-host': 'evil.example',
      });
      expect(forged.status).toBe(421);
      const fine = await get(server, '/.well-known/openid-configuration', {
        host,
        'x-forwarded-host': host,
        'x-forwarded-proto': 'https',
      });
      expect(fine.status).toBe(200);
      expect(JSON.parse(fine.body).issuer).toBe(server.issuer);
    });
  });
});
