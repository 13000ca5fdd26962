// The device-check listener can serve its own certificate (device_check.tls) for its own host name, such
// as certauth.example.com, while the main listener keeps the issuer's; unset, both serve the main one.
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, describe, expect, it } from '@jest/globals';
import { createDevCertificate } from '../../../src/server/tls.js';
import { startServer, type TestServer } from '../../helpers/server.js';

/** SHA-256 fingerprint of the certificate a listener on `port` presents. */
function servedFingerprint(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false }, () => {
      resolve(socket.getPeerCertificate().fingerprint256);
      socket.end();
    });
    socket.on('error', reject);
  });
}

const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;

describe('device-check listener TLS', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'latchkey-dc-tls-'));
  const servers: TestServer[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves device_check.tls on the device-check port and the main certificate on the main port', async () => {
    const own = await createDevCertificate();
    writeFileSync(path.join(dir, 'cert.pem'), own.cert);
    writeFileSync(path.join(dir, 'key.pem'), own.key, { mode: 0o600 });
    const server = await startServer({
      device_check: { tls: { cert_file: path.join(dir, 'cert.pem'), key_file: path.join(dir, 'key.pem') } },
    });
    servers.push(server);
    expect(await servedFingerprint(server.deviceCheckPort)).toBe(fingerprint(own.cert));
    expect(await servedFingerprint(server.port)).toBe(fingerprint(server.app.tls.cert));
    expect(fingerprint(own.cert)).not.toBe(fingerprint(server.app.tls.cert));
  });

  it("serves the main listener's certificate on both when device_check.tls is unset", async () => {
    const server = await startServer();
    servers.push(server);
    expect(await servedFingerprint(server.deviceCheckPort)).toBe(fingerprint(server.app.tls.cert));
  });
});
