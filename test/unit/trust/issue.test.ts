import { issueDeviceCertificate } from '../../../src/trust/ca/issue.js';
import { parseAndVerifyCsr } from '../../../src/trust/csr.js';
import { spkiSha256 } from '../../../src/trust/digest.js';
import { DEVICE_CERTIFICATE_CN_PREFIX } from '../../../src/trust/profile.js';
import { x509 } from '../../../src/trust/x509.js';
import { CRL_URL, csrFor, DAY, ecKeys, issueFor, makeCa, NOW, opensslVerify, type TestCa } from './fixtures.js';

let testCa: TestCa;

beforeAll(async () => {
  testCa = await makeCa();
});

describe('issueDeviceCertificate', () => {
  it('issues from a verified CSR, ignoring the requested subject', async () => {
    const keys = await ecKeys();
    const csr = await parseAndVerifyCsr(await csrFor(keys, 'CN=Administrator, O=Evil'));
    const issued = await issueDeviceCertificate({
      ca: testCa.ca,
      publicKey: csr.publicKey,
      deviceId: 'dev-42',
      now: NOW,
      crlUrl: CRL_URL,
    });
    expect(issued.certificate.subject).toBe(`CN=${DEVICE_CERTIFICATE_CN_PREFIX} ${issued.serial.slice(0, 8)}`);
    expect(issued.spkiSha256).toBe(csr.spkiSha256);
    expect(issued.certificate.issuer).toBe(testCa.intermediate.certificate.subject);
  });

  it('names the device in a SAN URI and allows client authentication only', async () => {
    const { certificate } = await issueFor(testCa, { deviceId: 'dev-0001' });
    const san = certificate.getExtension(x509.SubjectAlternativeNameExtension)!;
    expect(san.names.toJSON()).toEqual([{ type: 'url', value: 'urn:latchkey:device:dev-0001' }]);
    expect(certificate.getExtension(x509.ExtendedKeyUsageExtension)!.usages).toEqual([
      x509.ExtendedKeyUsage.clientAuth,
    ]);
    const keyUsage = certificate.getExtension(x509.KeyUsagesExtension)!;
    expect(keyUsage).toMatchObject({ usages: x509.KeyUsageFlags.digitalSignature, critical: true });
    expect(certificate.getExtension(x509.BasicConstraintsExtension)).toMatchObject({ ca: false, critical: true });
  });

  it('uses a random positive 128-bit serial and links AKI to the intermediate SKI', async () => {
    const a = await issueFor(testCa);
    const b = await issueFor(testCa);
    expect(a.serial).toMatch(/^[0-7][0-9a-f]{31}$/);
    expect(a.serial).not.toBe(b.serial);
    expect(a.certificate.serialNumber).toBe(a.serial);
    const aki = a.certificate.getExtension(x509.AuthorityKeyIdentifierExtension)!.keyId;
    expect(aki).toBe(testCa.intermediate.certificate.getExtension(x509.SubjectKeyIdentifierExtension)!.keyId);
    expect(a.certificate.getExtension(x509.SubjectKeyIdentifierExtension)).not.toBeNull();
  });

  it('points to the CRL', async () => {
    const { certificate } = await issueFor(testCa);
    const text = certificate.getExtension(x509.CRLDistributionPointsExtension)!.toString('text');
    expect(text).toContain(CRL_URL);
  });

  it('is valid from 5 minutes before now for 30 days by default', async () => {
    const { notBefore, notAfter } = await issueFor(testCa);
    expect(notBefore.getTime()).toBe(NOW.getTime() - 5 * 60 * 1000);
    expect(notAfter.getTime()).toBe(NOW.getTime() + 30 * DAY);
  });

  it('takes a lifetime and a serial', async () => {
    const issued = await issueFor(testCa, { lifetimeDays: 14, serial: '0A:BC:DE:F0:12' });
    expect(issued.notAfter.getTime()).toBe(NOW.getTime() + 14 * DAY);
    expect(issued.serial).toBe('0abcdef012');
    expect(issued.certificate.subject).toContain('– 0abcdef0');
  });

  it('returns the intermediate as the chain', async () => {
    const issued = await issueFor(testCa);
    expect(issued.chainPem).toEqual([testCa.intermediate.certificatePem]);
    expect(issued.certificatePem).toMatch(/^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\n$/);
    expect(issued.spkiSha256).toBe(await spkiSha256(issued.keys.publicKey));
  });

  it('passes openssl verify as a TLS client certificate under our root', async () => {
    const issued = await issueFor(testCa);
    const result = opensslVerify(testCa.root.certificatePem, testCa.intermediate.certificatePem, issued.certificatePem);
    expect(result.output).toContain(': OK');
    expect(result.status).toBe(0);
  });

  it('is refused by openssl under another root with the same names', async () => {
    const other = await makeCa();
    const issued = await issueFor(testCa);
    const result = opensslVerify(other.root.certificatePem, other.intermediate.certificatePem, issued.certificatePem);
    expect(result.status).not.toBe(0);
  });

  it('refuses a device id that is not URN-safe, a bad lifetime or a non-http CRL URL', async () => {
    await expect(issueFor(testCa, { deviceId: 'dev 1/../x' })).rejects.toMatchObject({ code: 'ERR_TRUST_PARAMETER' });
    await expect(issueFor(testCa, { lifetimeDays: 0 })).rejects.toMatchObject({ code: 'ERR_TRUST_PARAMETER' });
    await expect(issueFor(testCa, { crlUrl: 'ldap://example/crl' })).rejects.toMatchObject({
      code: 'ERR_TRUST_PARAMETER',
    });
    await expect(issueFor(testCa, { serial: 'xyz' })).rejects.toMatchObject({ code: 'ERR_TRUST_PARAMETER' });
  });

  it('refuses to issue from an intermediate that has expired, and caps lifetimes at its expiry', async () => {
    const late = new Date(testCa.intermediate.certificate.notAfter.getTime() + DAY);
    await expect(issueFor(testCa, { now: late })).rejects.toMatchObject({ code: 'ERR_CA_EXPIRED' });
    const nearEnd = new Date(testCa.intermediate.certificate.notAfter.getTime() - DAY);
    const issued = await issueFor(testCa, { now: nearEnd });
    expect(issued.notAfter.getTime()).toBe(testCa.intermediate.certificate.notAfter.getTime());
  });
});
