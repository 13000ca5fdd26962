// A second foreign client: micromdm's scepclient (Go, Debian package "scep"), over HTTPS with Latchkey's TLS
// certificate (Go reads SSL_CERT_FILE). Its strict DER parser reads Latchkey's GetCACert and verifies its
// CertRep signature. The Debian version (2.1.0) signs requests with SHA-1 whatever GetCACaps says, so
// Latchkey refuses them (badAlg), and scepclient reports exactly that; nothing is issued.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { backendName } from '../../helpers/backend.js';
import { scepclientAvailable, strictTools } from '../../helpers/scep-clients.js';
import type { TestServer } from '../../helpers/server.js';
import { caCertificates, scepCounts, scepUrl, startScepServer } from './helpers.js';

const available = scepclientAvailable();
const suite = available.ok || strictTools() ? describe : describe.skip;
const title = available.ok ? '' : ` (skipped: ${available.reason})`;

suite(`micromdm scepclient against Latchkey [${backendName()}]${title}`, () => {
  let server: TestServer;
  let dir: string;

  const scepclient = (args: readonly string[]) =>
    new Promise<{ status: number; output: string }>((resolve) => {
      const env = { PATH: process.env.PATH, HOME: dir, SSL_CERT_FILE: server.app.tls.devCertFile! };
      execFile('scepclient', args, { env, encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) => {
        resolve({
          status: error ? (typeof error.code === 'number' ? error.code : 1) : 0,
          output: `${stdout}${stderr}`,
        });
      });
    });

  beforeAll(async () => {
    if (!available.ok) throw new Error(`scepclient is required under CI: ${available.reason}`);
    server = await startScepServer();
    await server.addUser('alice');
    dir = mkdtempSync(path.join(tmpdir(), 'latchkey-scepclient-'));
  });
  afterAll(async () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    await server?.close();
  });

  it('reads GetCACert and verifies the signed CertRep refusing its SHA-1 request; nothing is issued', async () => {
    const [ra] = await caCertificates(server);
    // Without a fingerprint it encrypts to every certificate GetCACert lists, the ECDSA CA ones included.
    const fingerprint = createHash('sha256').update(new Uint8Array(ra!.rawData)).digest('hex');
    const { challenge } = await server.app.services.scep.createChallenge('alice', 'ios', {});
    const before = await scepCounts(server.app.services.db);
    const result = await scepclient([
      '-server-url',
      scepUrl(server),
      '-ca-fingerprint',
      fingerprint,
      '-challenge',
      challenge,
      '-private-key',
      path.join(dir, 'key.pem'),
      '-certificate',
      path.join(dir, 'cert.pem'),
      '-cn',
      'go-device',
    ]);
    expect(result.output).toMatch(/op=GetCACert error=null/);
    expect(result.output).toMatch(/op=PKIOperation error=null/);
    // It parsed the CertRep and verified the RA's signature before reading its failInfo.
    expect(result.output).toMatch(/PKCSReq \(19\) request failed, failInfo: badAlg \(0\)/);
    expect(result.status).not.toBe(0);
    expect(await scepCounts(server.app.services.db)).toEqual(before);
    const [event] = await server.app.services.audit.search({ limit: 1 });
    expect(event).toMatchObject({ outcome: 'failure', reasons: ['ERR_SCEP_DIGEST_ALGORITHM'] });
  });
});
