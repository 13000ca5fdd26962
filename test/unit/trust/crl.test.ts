import { buildCrl } from '../../../src/trust/ca/crl.js';
import { x509 } from '../../../src/trust/x509.js';
import { issueFor, makeCa, NOW, openssl, type TestCa, writeFiles } from './fixtures.js';

let testCa: TestCa;

beforeAll(async () => {
  testCa = await makeCa();
});

describe('buildCrl', () => {
  it('lists revoked serials with reasons and is signed by the intermediate (checked by openssl)', async () => {
    const revoked = await issueFor(testCa);
    const other = await issueFor(testCa);
    const crl = await buildCrl({
      ca: testCa.ca,
      revoked: [
        { serial: revoked.serial, revokedAt: NOW, reason: 'keyCompromise' },
        { serial: other.serial, revokedAt: NOW },
      ],
      now: NOW,
      crlNumber: 7,
    });
    const files = writeFiles({ 'crl.der': crl.der, 'intermediate.pem': testCa.intermediate.certificatePem });
    const result = openssl([
      'crl',
      '-inform',
      'DER',
      '-in',
      files['crl.der']!,
      '-noout',
      '-text',
      '-CAfile',
      files['intermediate.pem']!,
    ]);
    expect(result.status).toBe(0);
    expect(result.output).toContain('verify OK');
    expect(result.output).toContain(`Serial Number: ${revoked.serial.toUpperCase()}`);
    expect(result.output).toContain(`Serial Number: ${other.serial.toUpperCase()}`);
    expect(result.output).toContain('Key Compromise');
    expect(result.output).toMatch(/X509v3 CRL Number:\s+7/);
    expect(result.output).toContain('Issuer: CN = Latchkey Device Trust Intermediate CA');
  });

  it('sets thisUpdate to now and nextUpdate 24 hours later by default, configurable', async () => {
    const crl = await buildCrl({ ca: testCa.ca, revoked: [], now: NOW, crlNumber: 1n });
    expect(crl.thisUpdate.getTime()).toBe(NOW.getTime());
    expect(crl.nextUpdate.getTime()).toBe(NOW.getTime() + 24 * 3600 * 1000);
    const parsed = new x509.X509Crl(crl.der);
    expect(parsed.nextUpdate?.getTime()).toBe(crl.nextUpdate.getTime());
    expect(await parsed.verify({ publicKey: testCa.intermediate.certificate })).toBe(true);
    const weekly = await buildCrl({ ca: testCa.ca, revoked: [], now: NOW, crlNumber: 2, nextUpdateHours: 168 });
    expect(weekly.nextUpdate.getTime() - NOW.getTime()).toBe(168 * 3600 * 1000);
    expect(weekly.pem).toMatch(/^-----BEGIN X509 CRL-----/);
  });

  it('finds a revoked certificate by serial', async () => {
    const revoked = await issueFor(testCa);
    const crl = new x509.X509Crl(
      (await buildCrl({ ca: testCa.ca, revoked: [{ serial: revoked.serial, revokedAt: NOW }], now: NOW, crlNumber: 3 }))
        .der,
    );
    expect(crl.findRevoked(revoked.certificate)?.serialNumber).toBe(revoked.serial);
  });

  it('leaves out certificates that have expired anyway', async () => {
    const expired = { serial: '0102', revokedAt: NOW, notAfter: new Date(NOW.getTime() - 1000) };
    const current = { serial: '0103', revokedAt: NOW, notAfter: new Date(NOW.getTime() + 1000) };
    const crl = new x509.X509Crl(
      (await buildCrl({ ca: testCa.ca, revoked: [expired, current], now: NOW, crlNumber: 4 })).der,
    );
    expect(crl.entries.map((entry) => entry.serialNumber)).toEqual(['0103']);
  });

  it('refuses a serial listed twice, a bad serial or a negative CRL number', async () => {
    const revokedAt = NOW;
    await expect(
      buildCrl({
        ca: testCa.ca,
        revoked: [
          { serial: 'ab', revokedAt },
          { serial: 'AB', revokedAt },
        ],
        now: NOW,
        crlNumber: 1,
      }),
    ).rejects.toMatchObject({
      code: 'ERR_TRUST_PARAMETER',
    });
    await expect(
      buildCrl({ ca: testCa.ca, revoked: [{ serial: 'zz', revokedAt }], now: NOW, crlNumber: 1 }),
    ).rejects.toMatchObject({ code: 'ERR_TRUST_PARAMETER' });
    await expect(buildCrl({ ca: testCa.ca, revoked: [], now: NOW, crlNumber: -1 })).rejects.toMatchObject({
      code: 'ERR_TRUST_PARAMETER',
    });
  });
});
