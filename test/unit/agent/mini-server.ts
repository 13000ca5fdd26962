// A stand-in for Latchkey's two device endpoints, built only from the trust code: POST /device/enroll and
// POST /device/renew (client certificate read from the TLS socket and verified with our verifier),
// answering errors as src/http/errors.ts does: { error: code, error_description: message }. It lets
// the agent's HTTP client and workflow run against real TLS and mTLS without the IdP core.
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { issueDeviceCertificate } from '../../../src/trust/ca/issue.js';
import { parseAndVerifyCsr } from '../../../src/trust/csr.js';
import { isRenewalDue } from '../../../src/trust/renewal.js';
import { verifyDeviceCertificateChain } from '../../../src/trust/verify.js';
import { toPem } from '../../../src/trust/pem.js';
import { x509 } from '../../../src/trust/x509.js';
import { craftCertificate, CRL_URL, ecKeys, makeCa, NOW, type TestCa } from '../trust/fixtures.js';

export interface MiniServer {
  url: string;
  /** PEM of the CA that signed the server's TLS certificate (the agent's --ca-file). */
  tlsCaPem: string;
  testCa: TestCa;
  token: string;
  state: {
    now: Date;
    distributionOff: boolean;
    revoked: Set<string>;
    failWith503: boolean;
    renewCalls: number;
    lastClientSerial: string | null;
  };
  /** Back to the first day, distribution on, nothing revoked, no failures, counters zero. */
  reset(): void;
  close(): Promise<void>;
}

/** Starts the server on 127.0.0.1 with a TLS certificate from a throwaway CA. */
export async function startMiniServer(): Promise<MiniServer> {
  const testCa = await makeCa();
  const tls = await serverTlsMaterial();
  const initialState = (): MiniServer['state'] => ({
    now: NOW,
    distributionOff: false,
    revoked: new Set(),
    failWith503: false,
    renewCalls: 0,
    lastClientSerial: null,
  });
  const state = initialState();
  const token = 'enroll-token-123';
  let url = '';
  const server = https.createServer(
    { key: tls.keyPem, cert: tls.certificatePem, requestCert: true, rejectUnauthorized: false },
    (request, response) => {
      const send = (status: number, body: unknown) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(body));
      };
      let raw = '';
      request.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
      request.on('end', () => {
        const body = JSON.parse(raw || '{}') as Record<string, unknown>;
        const handle = request.url === '/device/enroll' ? enroll : request.url === '/device/renew' ? renew : null;
        if (!handle) return send(404, { error: 'ERR_NOT_FOUND' });
        if (state.failWith503)
          return send(503, { error: 'ERR_UNAVAILABLE', error_description: 'database unavailable' });
        handle(body, request.socket as TLSSocket).then(
          ([status, payload]) => send(status, payload),
          (error: { code?: string; message?: string }) =>
            send(400, { error: error.code ?? 'ERR', error_description: error.message }),
        );
      });
    },
  );

  async function issue(publicKey: x509.PublicKey, deviceId: string): Promise<[number, unknown]> {
    const issued = await issueDeviceCertificate({
      ca: testCa.ca,
      publicKey,
      deviceId,
      now: state.now,
      crlUrl: CRL_URL,
    });
    return [
      200,
      {
        deviceId,
        certificate: issued.certificatePem,
        chain: issued.chainPem,
        notAfter: issued.notAfter.toISOString(),
        deviceCheckUrl: url,
      },
    ];
  }

  async function enroll(body: Record<string, unknown>): Promise<[number, unknown]> {
    if (state.distributionOff)
      return [403, { error: 'ERR_DEVICE_DISTRIBUTION_OFF', error_description: 'certificate distribution is off' }];
    if (body.token !== token)
      return [401, { error: 'ERR_ENROLLMENT_TOKEN', error_description: 'the enrollment token is invalid or used' }];
    const csr = await parseAndVerifyCsr(body.csr);
    return issue(csr.publicKey, 'dev-mini-1');
  }

  async function renew(body: Record<string, unknown>, socket: TLSSocket): Promise<[number, unknown]> {
    state.renewCalls++;
    const peer = socket.getPeerCertificate(true);
    if (!peer.raw) return [401, { error: 'ERR_CERT_MISSING', error_description: 'no client certificate' }];
    const result = await verifyDeviceCertificateChain({
      leaf: new Uint8Array(peer.raw),
      trustAnchors: { root: testCa.root.certificate, intermediate: testCa.intermediate.certificate },
      now: state.now,
    });
    if (!result.ok) return [401, { error: result.code, error_description: result.reason }];
    state.lastClientSerial = result.serial;
    if (state.distributionOff)
      return [403, { error: 'ERR_DEVICE_DISTRIBUTION_OFF', error_description: 'certificate distribution is off' }];
    if (state.revoked.has(result.serial))
      return [403, { error: 'ERR_DEVICE_REVOKED', error_description: 'this device was revoked' }];
    if (!isRenewalDue(result.notBefore, result.notAfter, state.now))
      return [409, { error: 'ERR_RENEWAL_NOT_DUE', error_description: 'not due' }];
    const publicKey =
      typeof body.csr === 'string' ? (await parseAndVerifyCsr(body.csr)).publicKey : result.certificate.publicKey;
    return issue(publicKey, result.deviceId);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    tlsCaPem: tls.caPem,
    testCa,
    token,
    state,
    reset: () => void Object.assign(state, initialState()),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A TLS CA and a server certificate for 127.0.0.1, valid around the real clock (TLS checks real time). */
async function serverTlsMaterial(): Promise<{ caPem: string; certificatePem: string; keyPem: string }> {
  const realNow = Date.now();
  const validity = { notBefore: new Date(realNow - 86_400_000), notAfter: new Date(realNow + 86_400_000) };
  const ca = await craftCertificate({
    issuer: 'self',
    subject: 'CN=Mini Server Test TLS CA',
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true),
    ],
    ...validity,
  });
  const keys = await ecKeys('P-256');
  const leaf = await craftCertificate({
    issuer: ca,
    subject: 'CN=127.0.0.1',
    keys,
    extensions: [
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        { type: 'ip', value: '127.0.0.1' },
        { type: 'dns', value: 'localhost' },
      ]),
    ],
    ...validity,
  });
  return {
    caPem: toPem(ca.certificate.rawData, 'CERTIFICATE'),
    certificatePem: toPem(leaf.certificate.rawData, 'CERTIFICATE'),
    keyPem: toPem(await globalThis.crypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY'),
  };
}
