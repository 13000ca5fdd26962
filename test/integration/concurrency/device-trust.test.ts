// Device enrollment and renewal under parallel requests: of N enrollments with one token exactly one
// creates a device, and of N renewals presenting one certificate exactly one issues its successor; the
// losers change nothing.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { toPem } from '../../../src/trust/pem.js';
import { backendName } from '../../helpers/backend.js';
import { startServer, type TestServer } from '../../helpers/server.js';
import { csrFor, ecKeys } from '../../unit/trust/fixtures.js';
import { mutualTlsFetch, postEnroll, tableCounts } from '../device-trust/helpers.js';

const PARALLEL = 20;
const POSTURE = { platform: 'linux', osVersion: '12' };

describe(`device trust under parallel requests [${backendName()}]`, () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer({
      device_trust: {
        renewal_fraction: '1/10000',
        rate_limits: {
          enroll_per_ip: { max: 1000, window_seconds: 60 },
          renew_per_ip: { max: 1000, window_seconds: 60 },
        },
      },
    });
    await server.app.services.deviceTrust.initCa({ actor: 'test' });
    await server.addUser('dana');
  });
  afterAll(async () => {
    await server?.close();
  });

  const token = async () =>
    (await server.app.services.deviceTrust.createEnrollmentToken('dana', { actor: 'test' })).token;

  it(`creates exactly one device from ${PARALLEL} parallel enrollments with one token`, async () => {
    const shared = await token();
    const csr = await csrFor(await ecKeys());
    const before = await tableCounts(server.app.services.db);
    const answers = await Promise.all(
      Array.from({ length: PARALLEL }, () => postEnroll(server, { token: shared, csr, posture: POSTURE })),
    );
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 401 && a.body.error === 'ERR_ENROLLMENT_TOKEN_USED')).toHaveLength(
      PARALLEL - 1,
    );
    expect(await tableCounts(server.app.services.db)).toEqual({
      ...before,
      devices: before.devices + 1,
      certificates: before.certificates + 1,
      tokensUsed: before.tokensUsed + 1,
    });
  });

  it(`issues exactly one successor from ${PARALLEL} parallel renewals of one certificate`, async () => {
    const keys = await ecKeys();
    const issued = await postEnroll(server, { token: await token(), csr: await csrFor(keys), posture: POSTURE });
    const device = {
      certificatePem: issued.body.certificate as string,
      chainPem: issued.body.chain as string[],
      privateKeyPem: toPem(await globalThis.crypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY'),
    };
    const before = await tableCounts(server.app.services.db);
    const tls = mutualTlsFetch(server, device);
    try {
      const answers = await Promise.all(
        Array.from({ length: PARALLEL }, async () => {
          const response = await tls.fetch(`${server.deviceCheckUrl}/device/renew`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: '{}',
          });
          return { status: response.status, body: (await response.json()) as { error?: string } };
        }),
      );
      expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
      // The losers see the certificate already superseded (or renewed by the winner at the same instant).
      for (const lost of answers.filter((a) => a.status !== 200)) {
        expect(['ERR_CERT_REVOKED', 'ERR_RENEWAL_CONFLICT']).toContain(lost.body.error);
      }
    } finally {
      await tls.close();
    }
    expect(await tableCounts(server.app.services.db)).toEqual({
      ...before,
      certificates: before.certificates + 1,
      revokedCertificates: before.revokedCertificates + 1,
    });
  });
});
