// Bad input to the device endpoints, over real HTTPS: malformed, oversized or forged CSRs, weak keys,
// unknown, used, expired and concurrently used tokens, certificates from another CA, and request bodies
// with unknown or missing fields. Each is refused with a precise code, and the device, certificate and
// token tables are exactly as before.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DeviceTrustStore } from '../../../src/store/device-trust.js';
import { issueDeviceCertificate } from '../../../src/trust/ca/issue.js';
import { signerFromPrivateKeyPem } from '../../../src/trust/ca/import.js';
import { parseCertificate } from '../../../src/trust/certificate-input.js';
import { toPem } from '../../../src/trust/pem.js';
import { parseDeviceUrn } from '../../../src/trust/profile.js';
import { CA_KEY_PURPOSE } from '../../../src/trust/service/active-ca.js';
import { x509 } from '../../../src/trust/x509.js';
import { backendName } from '../../helpers/backend.js';
import { startServer, type TestServer } from '../../helpers/server.js';
import { csrFor, ecKeys, makeCa, rsaKeys } from '../../unit/trust/fixtures.js';
import { mutualTlsFetch, postEnroll, tableCounts } from './helpers.js';

const POSTURE = { platform: 'linux', osVersion: '12', hostname: 'test-host', integrity: 'unknown' };

describe(`device endpoints refuse bad input [${backendName()}]`, () => {
  let server: TestServer;
  let store: DeviceTrustStore;
  let csr: string;

  const token = async (username = 'alice') =>
    (await server.app.services.deviceTrust.createEnrollmentToken(username, { actor: 'test' })).token;
  /** Sends a request and expects a refusal with `status` and `code` that leaves every table unchanged. */
  const refused = async (
    send: () => Promise<{ status: number; body: Record<string, unknown> }>,
    status: number,
    code: string,
    description?: string | RegExp,
  ) => {
    const before = await tableCounts(server.app.services.db);
    const answer = await send();
    expect({ status: answer.status, error: answer.body.error }).toEqual({ status, error: code });
    if (description !== undefined) expect(answer.body.error_description).toMatch(description);
    expect(await tableCounts(server.app.services.db)).toEqual(before);
  };
  /** A fresh token (created now, before the tables are counted) and the request that uses it. */
  const enrollWith = async (fields: Record<string, unknown>) => {
    const fresh = await token();
    return () => postEnroll(server, { token: fresh, csr, posture: POSTURE, ...fields });
  };

  beforeAll(async () => {
    // Renewals are due at once here, so bad renewal input is judged on its own merits.
    server = await startServer({ device_trust: { renewal_fraction: '1/10000' } });
    store = new DeviceTrustStore(server.app.services.db);
    await server.addUser('alice');
    await server.addUser('bob');
    csr = await csrFor(await ecKeys());
  });
  afterAll(async () => {
    await server?.close();
  });

  it('refuses enrollment while no CA exists (503 ERR_CA_NOT_INITIALIZED) and keeps the token', async () => {
    // 5xx messages are generic for clients; the code says what is wrong.
    await refused(await enrollWith({}), 503, 'ERR_CA_NOT_INITIALIZED');
    await server.app.services.deviceTrust.initCa({ actor: 'test' });
  });

  describe('certificate signing requests', () => {
    const truncate = (pem: string) => {
      const lines = pem.trim().split('\n');
      return [...lines.slice(0, lines.length / 2), lines[lines.length - 1]].join('\n');
    };
    const cases: Array<[string, () => Promise<unknown>, string, string | RegExp]> = [
      [
        'garbage',
        async () => 'hello, certificate authority',
        'ERR_CSR_MALFORMED',
        /not valid PEM|exactly one PEM block/,
      ],
      ['a truncated CSR', async () => truncate(csr), 'ERR_CSR_MALFORMED', /truncated or not valid DER|not valid PEM/],
      ['a number instead of PEM', async () => 42, 'ERR_REQUEST_INVALID_FIELD', /^field "csr"/],
      [
        'a certificate instead of a CSR',
        async () => toPem((await makeCa(new Date())).root.certificate.rawData, 'CERTIFICATE'),
        'ERR_CSR_NOT_A_CSR',
        'expected a CERTIFICATE REQUEST, got CERTIFICATE',
      ],
      [
        'an oversized CSR (over 16 KiB)',
        async () => `${csr}${'X'.repeat(17 * 1024)}`,
        'ERR_CSR_TOO_LARGE',
        'the certificate request is larger than 16384 bytes',
      ],
      [
        'a CSR signed by another key',
        async () => csrFor({ privateKey: (await ecKeys()).privateKey, publicKey: (await ecKeys()).publicKey }),
        'ERR_CSR_SIGNATURE',
        'the certificate request is not signed by the key it contains',
      ],
      [
        'a weak RSA key (1024 bits)',
        async () => csrFor(await rsaKeys(1024)),
        'ERR_CSR_WEAK_KEY',
        'RSA keys must have at least 2048 bits, this one has 1024',
      ],
      ['a P-521 key', async () => csrFor(await ecKeys('P-521')), 'ERR_CSR_UNSUPPORTED_KEY', /P-521 is not supported/],
    ];
    it.each(cases)('refuses %s without consuming the token', async (_name, make, code, description) => {
      await refused(await enrollWith({ csr: await make() }), 400, code, description);
    });

    it('refuses a body over 32 KiB with 413 before reading it all', async () => {
      await refused(await enrollWith({ csr: 'A'.repeat(40 * 1024) }), 413, 'ERR_REQUEST_TOO_LARGE');
    });
  });

  describe('enrollment tokens', () => {
    it('refuses an unknown token', async () => {
      await refused(
        () => postEnroll(server, { token: 'lket_nonsense', csr, posture: POSTURE }),
        401,
        'ERR_ENROLLMENT_TOKEN_UNKNOWN',
        'the enrollment token is not known',
      );
    });

    it('refuses an expired token', async () => {
      const alice = (await server.app.services.users.findByUsername('alice'))!;
      const hourAgo = Date.now() - 3_600_000;
      const { token: expired } = await store.createEnrollmentToken(alice.id, 60_000, 'test', hourAgo);
      await refused(
        () => postEnroll(server, { token: expired, csr, posture: POSTURE }),
        401,
        'ERR_ENROLLMENT_TOKEN_EXPIRED',
        'the enrollment token has expired',
      );
    });

    it('accepts a token once and refuses it the second time', async () => {
      const once = await token();
      const first = await postEnroll(server, { token: once, csr, posture: POSTURE });
      expect(first.status).toBe(201);
      expect(Object.keys(first.body).sort()).toEqual([
        'certificate',
        'chain',
        'deviceCheckUrl',
        'deviceId',
        'notAfter',
      ]);
      await refused(
        () => postEnroll(server, { token: once, csr, posture: POSTURE }),
        401,
        'ERR_ENROLLMENT_TOKEN_USED',
        'the enrollment token was already used',
      );
    });

    it('lets exactly one of several concurrent enrollments with one token win', async () => {
      const shared = await token();
      const before = await tableCounts(server.app.services.db);
      const answers = await Promise.all(
        Array.from({ length: 5 }, () => postEnroll(server, { token: shared, csr, posture: POSTURE })),
      );
      const statuses = answers.map((answer) => answer.status).sort();
      expect(statuses).toEqual([201, 401, 401, 401, 401]);
      for (const answer of answers.filter((a) => a.status === 401)) {
        expect(answer.body.error).toBe('ERR_ENROLLMENT_TOKEN_USED');
      }
      expect(await tableCounts(server.app.services.db)).toEqual({
        ...before,
        devices: before.devices + 1,
        certificates: before.certificates + 1,
        tokensUsed: before.tokensUsed + 1,
      });
    });

    it("refuses a disabled user's token and keeps it", async () => {
      const bobs = await token('bob');
      const bob = (await server.app.services.users.findByUsername('bob'))!;
      await server.app.services.users.setDisabled(bob.id, true);
      try {
        await refused(
          () => postEnroll(server, { token: bobs, csr, posture: POSTURE }),
          403,
          'ERR_USER_DISABLED',
          'the user of this token is disabled',
        );
      } finally {
        await server.app.services.users.setDisabled(bob.id, false);
      }
    });
  });

  describe('request bodies', () => {
    const cases: Array<[string, () => Promise<Record<string, unknown>>, string, string | RegExp]> = [
      ['an unknown field', async () => ({ admin: true }), 'ERR_REQUEST_UNKNOWN_FIELD', 'unknown field "admin"'],
      [
        'an unknown posture field',
        async () => ({ posture: { ...POSTURE, jailbroken: false } }),
        'ERR_REQUEST_UNKNOWN_FIELD',
        'unknown field "posture.jailbroken"',
      ],
      ['a missing token', async () => ({ token: undefined }), 'ERR_REQUEST_MISSING_FIELD', 'missing field "token"'],
      [
        'a missing posture',
        async () => ({ posture: undefined }),
        'ERR_REQUEST_MISSING_FIELD',
        'missing field "posture"',
      ],
      [
        'a missing platform',
        async () => ({ posture: { hostname: 'x' } }),
        'ERR_REQUEST_MISSING_FIELD',
        'missing field "posture.platform"',
      ],
      [
        'an unknown platform',
        async () => ({ posture: { ...POSTURE, platform: 'beos' } }),
        'ERR_REQUEST_INVALID_FIELD',
        /^field "posture.platform": /,
      ],
      [
        'a host name with control characters',
        async () => ({ posture: { ...POSTURE, hostname: 'evil\n[admin] granted' } }),
        'ERR_REQUEST_INVALID_FIELD',
        'field "posture.hostname": must not contain control characters',
      ],
      ['a token of the wrong type', async () => ({ token: 7 }), 'ERR_REQUEST_INVALID_FIELD', /^field "token": /],
    ];
    it.each(cases)('refuses %s, naming the field', async (_name, fields, code, description) => {
      await refused(await enrollWith(await fields()), 400, code, description);
    });

    it.each([
      ['text that is not JSON', '{"token": ', 'application/json', 400, 'ERR_REQUEST_NOT_JSON'],
      ['a JSON array', '[1, 2]', 'application/json', 400, 'ERR_REQUEST_NOT_JSON'],
      ['an empty body', '', 'application/json', 400, 'ERR_REQUEST_NOT_JSON'],
      ['a form post', 'token=x&csr=y', 'application/x-www-form-urlencoded', 415, 'ERR_REQUEST_CONTENT_TYPE'],
    ])('refuses %s', async (_name, body, type, status, code) => {
      await refused(() => postEnroll(server, body, { 'content-type': type }), status, code);
    });

    it('answers JSON even to a client that prefers HTML', async () => {
      const answer = await postEnroll(
        server,
        { token: 'lket_x', csr, posture: POSTURE, admin: true },
        { 'content-type': 'application/json', accept: 'text/html' },
      );
      expect(answer.body.error).toBe('ERR_REQUEST_UNKNOWN_FIELD');
    });
  });

  describe('renewal', () => {
    let device: { certificatePem: string; chainPem: string[]; privateKeyPem: string };

    beforeAll(async () => {
      const keys = await ecKeys();
      const issued = await postEnroll(server, { token: await token(), csr: await csrFor(keys), posture: POSTURE });
      const pkcs8 = await globalThis.crypto.subtle.exportKey('pkcs8', keys.privateKey);
      device = {
        certificatePem: issued.body.certificate as string,
        chainPem: issued.body.chain as string[],
        privateKeyPem: toPem(pkcs8, 'PRIVATE KEY'),
      };
    });

    const renewAs = async (client: typeof device | null, body: string) => {
      const tls = mutualTlsFetch(server, client);
      try {
        const response = await tls.fetch(`${server.deviceCheckUrl}/device/renew`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        return { status: response.status, body: (await response.json()) as Record<string, unknown> };
      } finally {
        await tls.close();
      }
    };

    it('refuses a certificate from another CA with the same names (a look-alike)', async () => {
      const other = await makeCa(new Date());
      const keys = await ecKeys();
      const forged = await issueDeviceCertificate({
        ca: other.ca,
        publicKey: keys.publicKey,
        deviceId: parseDeviceId(device.certificatePem),
        now: new Date(),
        crlUrl: `${server.issuer}/device/crl`,
      });
      const client = {
        certificatePem: forged.certificatePem,
        chainPem: forged.chainPem,
        privateKeyPem: toPem(await globalThis.crypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY'),
      };
      await refused(() => renewAs(client, '{}'), 401, 'ERR_CERT_UNTRUSTED_CHAIN');
    });

    it('refuses a certificate signed by our CA that is not on record', async () => {
      const intermediate = (await store.activeCa('intermediate'))!;
      const root = (await store.activeCa('root'))!;
      const keyPem = server.app.services.box.openText(intermediate.privateKeySealed!, CA_KEY_PURPOSE.intermediate);
      const certificate = parseCertificate(intermediate.certificatePem);
      const ca = {
        root: parseCertificate(root.certificatePem),
        intermediate: certificate,
        signer: await signerFromPrivateKeyPem(keyPem, certificate),
      };
      const keys = await ecKeys();
      const ghost = await issueDeviceCertificate({
        ca,
        publicKey: keys.publicKey,
        deviceId: 'ghost-device',
        now: new Date(),
        crlUrl: `${server.issuer}/device/crl`,
      });
      const client = {
        certificatePem: ghost.certificatePem,
        chainPem: ghost.chainPem,
        privateKeyPem: toPem(await globalThis.crypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY'),
      };
      await refused(() => renewAs(client, '{}'), 401, 'ERR_CERT_UNKNOWN', 'the device certificate is not on record');
    });

    it.each([
      ['an unknown field', '{"csr": null, "force": true}', 400, 'ERR_REQUEST_UNKNOWN_FIELD'],
      ['a CSR that is not a string', '{"csr": 5}', 400, 'ERR_REQUEST_INVALID_FIELD'],
      ['a garbage CSR', '{"csr": "garbage"}', 400, 'ERR_CSR_MALFORMED'],
      ['a body that is not JSON', 'renew please', 400, 'ERR_REQUEST_NOT_JSON'],
    ])('refuses a renewal with %s and keeps the certificate valid', async (_name, body, status, code) => {
      await refused(() => renewAs(device, body), status, code);
    });

    it('still renews the untouched certificate afterwards', async () => {
      const answer = await renewAs(device, '');
      expect(answer.status).toBe(200);
      expect(answer.body.deviceId).toBe(parseDeviceId(device.certificatePem));
    });
  });
});

function parseDeviceId(pem: string): string {
  const names = parseCertificate(pem).getExtension(x509.SubjectAlternativeNameExtension)!.names.items;
  return parseDeviceUrn(names.find((name) => name.type === 'url')!.value)!;
}
