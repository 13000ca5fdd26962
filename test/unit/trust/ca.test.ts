import { CaError } from '../../../src/trust/errors.js';
import { createIntermediateCa, createRootCa } from '../../../src/trust/ca/create.js';
import { importCa, loadIssuingCa } from '../../../src/trust/ca/import.js';
import { INTERMEDIATE_CA_COMMON_NAME, ROOT_CA_COMMON_NAME } from '../../../src/trust/profile.js';
import { x509 } from '../../../src/trust/x509.js';
import { createPrivateKey } from 'node:crypto';
import { issueDeviceCertificate } from '../../../src/trust/ca/issue.js';
import { toPem } from '../../../src/trust/pem.js';
import { verifyDeviceCertificateChain } from '../../../src/trust/verify.js';
import {
  craftCertificate,
  CRL_URL,
  DAY,
  ecKeys,
  epochSeconds,
  makeCa,
  NOW,
  openssl,
  opensslVerify,
  rsaKeys,
  type TestCa,
  writeFiles,
} from './fixtures.js';

let testCa: TestCa;

beforeAll(async () => {
  testCa = await makeCa();
});

const years = (from: Date, to: Date) => Math.round((to.getTime() - from.getTime()) / (365.25 * DAY));

describe('createRootCa', () => {
  it('creates a self-signed P-384 root named "Latchkey Device Identification Root CA"', async () => {
    const root = testCa.root.certificate;
    expect(root.subject).toBe(`CN=${ROOT_CA_COMMON_NAME}`);
    expect(root.issuer).toBe(root.subject);
    expect(await root.isSelfSigned()).toBe(true);
    expect(root.publicKey.algorithm).toMatchObject({ name: 'ECDSA', namedCurve: 'P-384' });
  });

  it('marks the root as a CA with path length 1 and keyCertSign + cRLSign, both critical', () => {
    const constraints = testCa.root.certificate.getExtension(x509.BasicConstraintsExtension)!;
    expect(constraints).toMatchObject({ ca: true, pathLength: 1, critical: true });
    const keyUsage = testCa.root.certificate.getExtension(x509.KeyUsagesExtension)!;
    expect(keyUsage.critical).toBe(true);
    expect(keyUsage.usages).toBe(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign);
  });

  it('lives 20 years by default and starts a little before now', () => {
    const root = testCa.root.certificate;
    expect(years(NOW, root.notAfter)).toBe(20);
    expect(root.notBefore.getTime()).toBeLessThan(NOW.getTime());
    expect(NOW.getTime() - root.notBefore.getTime()).toBeLessThanOrEqual(5 * 60 * 1000);
  });

  it('accepts a lifetime, an organisation and P-256', async () => {
    const root = await createRootCa({ now: NOW, lifetimeYears: 5, organization: 'Example Corp', curve: 'P-256' });
    expect(years(NOW, root.certificate.notAfter)).toBe(5);
    expect(root.certificate.subject).toBe(`O=Example Corp, CN=${ROOT_CA_COMMON_NAME}`);
    expect(root.certificate.publicKey.algorithm).toMatchObject({ namedCurve: 'P-256' });
  });

  it('refuses a lifetime of zero years', async () => {
    await expect(createRootCa({ now: NOW, lifetimeYears: 0 })).rejects.toMatchObject({ code: 'ERR_TRUST_PARAMETER' });
  });

  it('exports the key as unencrypted PKCS#8 PEM', () => {
    expect(testCa.root.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(createPrivateKey(testCa.root.privateKeyPem).asymmetricKeyDetails).toMatchObject({ namedCurve: 'secp384r1' });
  });
});

describe('createIntermediateCa', () => {
  it('creates "Latchkey Device Trust Intermediate CA" signed by the root, pathLen 0, 10 years', async () => {
    const intermediate = testCa.intermediate.certificate;
    expect(intermediate.subject).toBe(`CN=${INTERMEDIATE_CA_COMMON_NAME}`);
    expect(intermediate.issuer).toBe(testCa.root.certificate.subject);
    expect(await intermediate.verify({ publicKey: testCa.root.certificate, signatureOnly: true })).toBe(true);
    expect(intermediate.getExtension(x509.BasicConstraintsExtension)).toMatchObject({
      ca: true,
      pathLength: 0,
      critical: true,
    });
    expect(intermediate.getExtension(x509.KeyUsagesExtension)!.usages).toBe(
      x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
    );
    expect(years(NOW, intermediate.notAfter)).toBe(10);
  });

  it('links SKI and AKI from intermediate to root', () => {
    const rootSki = testCa.root.certificate.getExtension(x509.SubjectKeyIdentifierExtension)!.keyId;
    const aki = testCa.intermediate.certificate.getExtension(x509.AuthorityKeyIdentifierExtension)!.keyId;
    expect(aki).toBe(rootSki);
    expect(testCa.intermediate.certificate.getExtension(x509.SubjectKeyIdentifierExtension)!.keyId).toMatch(
      /^[0-9a-f]{40}$/,
    );
  });

  it('never outlives its root', async () => {
    const root = await createRootCa({ now: NOW, lifetimeYears: 3 });
    const intermediate = await createIntermediateCa({ now: NOW, root, lifetimeYears: 10 });
    expect(intermediate.certificate.notAfter.getTime()).toBe(root.certificate.notAfter.getTime());
  });

  it('passes openssl verify against the root', () => {
    const files = writeFiles({
      'root.pem': testCa.root.certificatePem,
      'intermediate.pem': testCa.intermediate.certificatePem,
    });
    const result = openssl([
      'verify',
      '-attime',
      epochSeconds(NOW),
      '-CAfile',
      files['root.pem']!,
      files['intermediate.pem']!,
    ]);
    expect(result).toMatchObject({ status: 0 });
    expect(result.output).toContain('OK');
  });
});

describe('importCa', () => {
  const pems = () =>
    [testCa.root.certificatePem, testCa.intermediate.certificatePem, testCa.intermediate.privateKeyPem] as const;

  it('accepts a matching root, intermediate and PKCS#8 key', async () => {
    const ca = await importCa(...pems(), NOW);
    expect(ca.intermediate.equal(testCa.intermediate.certificate)).toBe(true);
    expect(ca.root.equal(testCa.root.certificate)).toBe(true);
  });

  it('accepts the key in SEC1 "EC PRIVATE KEY" form', async () => {
    const sec1 = createPrivateKey(testCa.intermediate.privateKeyPem).export({ type: 'sec1', format: 'pem' }).toString();
    await expect(
      importCa(testCa.root.certificatePem, testCa.intermediate.certificatePem, sec1, NOW),
    ).resolves.toBeDefined();
  });

  it("accepts an organisation's RSA CA with a PKCS#1 key, and issues verifiable certificates from it", async () => {
    const caExtensions = (pathLength: number) => [
      new x509.BasicConstraintsExtension(true, pathLength, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ];
    const root = await craftCertificate({
      issuer: 'self',
      subject: 'CN=Example Corp Root',
      keys: await rsaKeys(2048),
      extensions: caExtensions(1),
    });
    const intermediateKeys = await rsaKeys(2048);
    const intermediate = await craftCertificate({
      issuer: root,
      subject: 'CN=Example Corp Devices',
      keys: intermediateKeys,
      extensions: caExtensions(0),
    });
    const pkcs8 = toPem(await globalThis.crypto.subtle.exportKey('pkcs8', intermediateKeys.privateKey), 'PRIVATE KEY');
    const pkcs1 = createPrivateKey(pkcs8).export({ type: 'pkcs1', format: 'pem' }).toString();
    const ca = await importCa(
      toPem(root.certificate.rawData, 'CERTIFICATE'),
      toPem(intermediate.certificate.rawData, 'CERTIFICATE'),
      pkcs1,
      NOW,
    );
    const keys = await ecKeys();
    const issued = await issueDeviceCertificate({
      ca,
      publicKey: keys.publicKey,
      deviceId: 'dev-rsa',
      now: NOW,
      crlUrl: CRL_URL,
    });
    expect(issued.certificate.signatureAlgorithm).toMatchObject({
      name: 'RSASSA-PKCS1-v1_5',
      hash: { name: 'SHA-256' },
    });
    const verified = await verifyDeviceCertificateChain({
      leaf: issued.certificate,
      trustAnchors: { root: ca.root, intermediate: ca.intermediate },
      now: NOW,
    });
    expect(verified).toMatchObject({ ok: true, deviceId: 'dev-rsa' });
    const pem = (certificate: x509.X509Certificate) => toPem(certificate.rawData, 'CERTIFICATE');
    expect(opensslVerify(pem(ca.root), pem(ca.intermediate), issued.certificatePem).status).toBe(0);
  });

  it('refuses a key that belongs to another certificate', async () => {
    await expect(
      importCa(testCa.root.certificatePem, testCa.intermediate.certificatePem, testCa.root.privateKeyPem, NOW),
    ).rejects.toMatchObject({
      code: 'ERR_CA_KEY_MISMATCH',
    });
  });

  it('refuses a key of another curve', async () => {
    const other = await makeCa();
    const p256 = await ecKeys('P-256');
    const pkcs8 = x509.PemConverter.encode(
      await globalThis.crypto.subtle.exportKey('pkcs8', p256.privateKey),
      'PRIVATE KEY',
    );
    await expect(
      importCa(other.root.certificatePem, other.intermediate.certificatePem, pkcs8, NOW),
    ).rejects.toMatchObject({ code: 'ERR_CA_KEY_MISMATCH' });
  });

  it('refuses an intermediate signed by another root with the same name', async () => {
    const other = await makeCa();
    await expect(
      importCa(testCa.root.certificatePem, other.intermediate.certificatePem, other.intermediate.privateKeyPem, NOW),
    ).rejects.toMatchObject({
      code: 'ERR_CA_NOT_ISSUED_BY_ROOT',
    });
  });

  it('refuses the root given as its own intermediate', async () => {
    await expect(
      importCa(testCa.root.certificatePem, testCa.root.certificatePem, testCa.root.privateKeyPem, NOW),
    ).rejects.toMatchObject({
      code: 'ERR_CA_NOT_ISSUED_BY_ROOT',
    });
  });

  it('refuses a root that is not self-signed', async () => {
    await expect(
      importCa(
        testCa.intermediate.certificatePem,
        testCa.intermediate.certificatePem,
        testCa.intermediate.privateKeyPem,
        NOW,
      ),
    ).rejects.toMatchObject({
      code: 'ERR_CA_NOT_SELF_SIGNED',
    });
  });

  it('refuses an intermediate without the CA flag', async () => {
    const notCa = await craftCertificate({
      issuer: { certificate: testCa.root.certificate, signer: testCa.root.signer },
      subject: `CN=${INTERMEDIATE_CA_COMMON_NAME}`,
      extensions: [new x509.BasicConstraintsExtension(false, undefined, true)],
    });
    await expect(
      loadIssuingCa({ root: testCa.root.certificate, intermediate: notCa.certificate, signer: notCa.signer, now: NOW }),
    ).rejects.toMatchObject({
      code: 'ERR_CA_NOT_CA',
    });
  });

  it('refuses an intermediate that may not sign CRLs', async () => {
    const noCrl = await craftCertificate({
      issuer: { certificate: testCa.root.certificate, signer: testCa.root.signer },
      subject: `CN=${INTERMEDIATE_CA_COMMON_NAME}`,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true),
      ],
    });
    await expect(
      loadIssuingCa({ root: testCa.root.certificate, intermediate: noCrl.certificate, signer: noCrl.signer, now: NOW }),
    ).rejects.toMatchObject({
      code: 'ERR_CA_KEY_USAGE',
    });
  });

  it('refuses a CA that has expired', async () => {
    await expect(importCa(...pems(), new Date(NOW.getTime() + 11 * 365 * DAY))).rejects.toMatchObject({
      code: 'ERR_CA_EXPIRED',
    });
  });

  it('refuses garbage, an encrypted key and a bundle of two certificates', async () => {
    await expect(
      importCa('garbage', testCa.intermediate.certificatePem, testCa.intermediate.privateKeyPem, NOW),
    ).rejects.toMatchObject({ code: 'ERR_CA_MALFORMED' });
    const encrypted = createPrivateKey(testCa.intermediate.privateKeyPem)
      .export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'secret' })
      .toString();
    await expect(
      importCa(testCa.root.certificatePem, testCa.intermediate.certificatePem, encrypted, NOW),
    ).rejects.toMatchObject({
      code: 'ERR_CA_KEY_UNSUPPORTED',
    });
    const bundle = `${testCa.root.certificatePem}${testCa.intermediate.certificatePem}`;
    const error: unknown = await importCa(
      bundle,
      testCa.intermediate.certificatePem,
      testCa.intermediate.privateKeyPem,
      NOW,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CaError);
    expect(error).toMatchObject({ code: 'ERR_CA_MALFORMED', status: 400 });
  });
});
