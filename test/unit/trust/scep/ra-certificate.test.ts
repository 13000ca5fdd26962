// The RA certificate profile: RSA, issued by the intermediate, encipherment and signature only, no CA, no
// EKU, never outliving the intermediate; and what it refuses.
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { issueRaCertificate } from '../../../../src/trust/scep/ra-certificate.js';
import { x509 } from '../../../../src/trust/x509.js';
import { ecKeys, makeCa, NOW, opensslVerify, type TestCa } from '../fixtures.js';

async function rsaPublicKey(): Promise<CryptoKey> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  return crypto.subtle.importKey('spki', spki, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, true, ['verify']);
}

describe('RA certificate', () => {
  let testCa: TestCa;
  beforeAll(async () => {
    testCa = await makeCa();
  });

  it('is issued by the intermediate for keyEncipherment and digitalSignature, not a CA, no EKU', async () => {
    const certificate = await issueRaCertificate({
      ca: testCa.ca,
      publicKey: await rsaPublicKey(),
      now: NOW,
      lifetimeDays: 365,
    });
    expect(certificate.subject).toBe('CN=Latchkey SCEP RA');
    expect(certificate.issuer).toBe(testCa.intermediate.certificate.subject);
    const usage = certificate.getExtension(x509.KeyUsagesExtension)!;
    expect(usage.critical).toBe(true);
    expect(usage.usages).toBe(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment);
    expect(certificate.getExtension(x509.BasicConstraintsExtension)).toMatchObject({ ca: false, critical: true });
    expect(certificate.getExtension(x509.ExtendedKeyUsageExtension)).toBeNull();
    const verified = opensslVerify(
      testCa.root.certificatePem,
      testCa.intermediate.certificatePem,
      certificate.toString('pem'),
    );
    // -purpose sslclient needs digitalSignature, which the RA has; it has no EKU, so no purpose is excluded.
    expect(verified.status).toBe(0);
  });

  it('never outlives the intermediate', async () => {
    const certificate = await issueRaCertificate({
      ca: testCa.ca,
      publicKey: await rsaPublicKey(),
      now: NOW,
      lifetimeDays: 3650,
    });
    expect(certificate.notAfter.getTime()).toBeLessThanOrEqual(testCa.intermediate.certificate.notAfter.getTime());
  });

  it('refuses an ECDSA key and an unusable lifetime', async () => {
    const ec = await ecKeys();
    await expect(
      issueRaCertificate({ ca: testCa.ca, publicKey: ec.publicKey, now: NOW, lifetimeDays: 365 }),
    ).rejects.toThrow(/must be RSA/);
    await expect(
      issueRaCertificate({ ca: testCa.ca, publicKey: await rsaPublicKey(), now: NOW, lifetimeDays: 0 }),
    ).rejects.toThrow(/lifetime/);
  });
});
