import { issueDeviceCertificate } from '../../../src/trust/ca/issue.js';
import { INTERMEDIATE_CA_COMMON_NAME } from '../../../src/trust/profile.js';
import { deviceCertificateError, verifyDeviceCertificateChain } from '../../../src/trust/verify.js';
import { x509 } from '../../../src/trust/x509.js';
import { craftCertificate, CRL_URL, DAY, ecKeys, issueFor, makeCa, NOW, type TestCa } from './fixtures.js';

let testCa: TestCa;
let anchors: { root: x509.X509Certificate; intermediate: x509.X509Certificate };

beforeAll(async () => {
  testCa = await makeCa();
  anchors = { root: testCa.root.certificate, intermediate: testCa.intermediate.certificate };
});

const verify = (leaf: Parameters<typeof verifyDeviceCertificateChain>[0]['leaf'], now = NOW, trustAnchors = anchors) =>
  verifyDeviceCertificateChain({ leaf, trustAnchors, now });

const leafExtensions = (overrides: { eku?: string[]; keyUsage?: x509.KeyUsageFlags; san?: string[] } = {}) => [
  new x509.BasicConstraintsExtension(false, undefined, true),
  new x509.KeyUsagesExtension(overrides.keyUsage ?? x509.KeyUsageFlags.digitalSignature, true),
  new x509.ExtendedKeyUsageExtension(overrides.eku ?? [x509.ExtendedKeyUsage.clientAuth]),
  new x509.SubjectAlternativeNameExtension(
    (overrides.san ?? ['urn:latchkey:device:dev-9']).map((value) => ({ type: 'url' as const, value })),
  ),
];

describe('verifyDeviceCertificateChain', () => {
  it('accepts a certificate we issued and returns device id, serial and key fingerprint', async () => {
    const issued = await issueFor(testCa, { deviceId: 'dev-0001' });
    const result = await verify(issued.certificatePem);
    expect(result).toMatchObject({
      ok: true,
      deviceId: 'dev-0001',
      serial: issued.serial,
      spkiSha256: issued.spkiSha256,
    });
    if (result.ok) expect(result.notAfter.getTime()).toBe(issued.notAfter.getTime());
  });

  it('accepts DER input, PEM anchors and a presented chain', async () => {
    const issued = await issueFor(testCa);
    const result = await verifyDeviceCertificateChain({
      leaf: new Uint8Array(issued.certificate.rawData),
      presentedChain: issued.chainPem,
      trustAnchors: { root: testCa.root.certificatePem, intermediate: testCa.intermediate.certificatePem },
      now: NOW,
    });
    expect(result.ok).toBe(true);
  });

  it('accepts leaves of an older intermediate while both are configured', async () => {
    const { createIntermediateCa } = await import('../../../src/trust/ca/create.js');
    const next = await createIntermediateCa({ now: NOW, root: testCa.root });
    const keys = await ecKeys();
    const issued = await issueDeviceCertificate({
      ca: { root: testCa.root.certificate, intermediate: next.certificate, signer: next.signer },
      publicKey: keys.publicKey,
      deviceId: 'dev-rotated',
      now: NOW,
      crlUrl: CRL_URL,
    });
    const both = { root: anchors.root, intermediate: [anchors.intermediate, next.certificate] };
    await expect(
      verifyDeviceCertificateChain({ leaf: issued.certificate, trustAnchors: both, now: NOW }),
    ).resolves.toMatchObject({ ok: true });
    await expect(verify(issued.certificate)).resolves.toMatchObject({ ok: false, code: 'ERR_CERT_UNTRUSTED_CHAIN' });
  });

  it('refuses an expired certificate', async () => {
    const issued = await issueFor(testCa);
    const result = await verify(issued.certificate, new Date(issued.notAfter.getTime() + 1000));
    expect(result).toMatchObject({ ok: false, code: 'ERR_CERT_EXPIRED' });
  });

  it('refuses a certificate that is not valid yet', async () => {
    const issued = await issueFor(testCa);
    const result = await verify(issued.certificate, new Date(NOW.getTime() - 10 * 60 * 1000));
    expect(result).toMatchObject({ ok: false, code: 'ERR_CERT_NOT_YET_VALID' });
  });

  it('refuses a certificate from another CA with the same names, even with that CA presented', async () => {
    const impostor = await makeCa();
    const forged = await issueFor(impostor, { deviceId: 'dev-0001' });
    const result = await verifyDeviceCertificateChain({
      leaf: forged.certificatePem,
      presentedChain: forged.chainPem,
      trustAnchors: anchors,
      now: NOW,
    });
    expect(result).toMatchObject({ ok: false, code: 'ERR_CERT_UNTRUSTED_CHAIN' });
    expect(forged.certificate.issuer).toBe(testCa.intermediate.certificate.subject);
  });

  it('refuses a certificate from an unrelated issuer', async () => {
    const stranger = await craftCertificate({
      issuer: 'self',
      subject: 'CN=Someone Else',
      extensions: leafExtensions(),
    });
    await expect(verify(stranger.certificate)).resolves.toMatchObject({ ok: false, code: 'ERR_CERT_UNTRUSTED_CHAIN' });
  });

  it('refuses a certificate without the clientAuth EKU', async () => {
    const leaf = await craftCertificate({
      issuer: { certificate: testCa.intermediate.certificate, signer: testCa.intermediate.signer },
      subject: 'CN=No Client Auth',
      extensions: leafExtensions({ eku: [x509.ExtendedKeyUsage.serverAuth] }),
    });
    await expect(verify(leaf.certificate)).resolves.toMatchObject({ ok: false, code: 'ERR_CERT_EKU' });
  });

  it('refuses a certificate without digitalSignature key usage', async () => {
    const leaf = await craftCertificate({
      issuer: { certificate: testCa.intermediate.certificate, signer: testCa.intermediate.signer },
      subject: 'CN=No Signature',
      extensions: leafExtensions({ keyUsage: x509.KeyUsageFlags.keyEncipherment }),
    });
    await expect(verify(leaf.certificate)).resolves.toMatchObject({ ok: false, code: 'ERR_CERT_KEY_USAGE' });
  });

  it('refuses a certificate with no device URN or two of them', async () => {
    const issuer = { certificate: testCa.intermediate.certificate, signer: testCa.intermediate.signer };
    const none = await craftCertificate({
      issuer,
      subject: 'CN=x',
      extensions: leafExtensions({ san: ['https://example.com/'] }),
    });
    await expect(verify(none.certificate)).resolves.toMatchObject({ ok: false, code: 'ERR_CERT_DEVICE_ID' });
    const two = await craftCertificate({
      issuer,
      subject: 'CN=x',
      extensions: leafExtensions({ san: ['urn:latchkey:device:a', 'urn:latchkey:device:b'] }),
    });
    await expect(verify(two.certificate)).resolves.toMatchObject({ ok: false, code: 'ERR_CERT_DEVICE_ID' });
  });

  it('refuses a leaf issued by an intermediate without the CA flag', async () => {
    const notCa = await craftCertificate({
      issuer: { certificate: testCa.root.certificate, signer: testCa.root.signer },
      subject: `CN=${INTERMEDIATE_CA_COMMON_NAME}`,
      extensions: [new x509.BasicConstraintsExtension(false, undefined, true)],
    });
    const leaf = await craftCertificate({ issuer: notCa, subject: 'CN=leaf', extensions: leafExtensions() });
    const result = await verify(leaf.certificate, NOW, { root: anchors.root, intermediate: notCa.certificate });
    expect(result).toMatchObject({ ok: false, code: 'ERR_CERT_NOT_CA' });
  });

  it('refuses a leaf below a configured intermediate that our root did not sign', async () => {
    const impostor = await makeCa();
    const forged = await issueFor(impostor);
    const result = await verify(forged.certificate, NOW, {
      root: anchors.root,
      intermediate: impostor.intermediate.certificate,
    });
    expect(result).toMatchObject({ ok: false, code: 'ERR_CERT_UNTRUSTED_CHAIN' });
  });

  it('refuses a certificate whose signature was altered', async () => {
    const issued = await issueFor(testCa);
    const der = Buffer.from(issued.certificate.rawData);
    der.writeUInt8(der.readUInt8(der.length - 1) ^ 0x01, der.length - 1); // last octet of the signature's s
    await expect(verify(der)).resolves.toMatchObject({ ok: false, code: 'ERR_CERT_SIGNATURE' });
  });

  it('refuses a certificate whose content was altered after signing', async () => {
    const issued = await issueFor(testCa, { deviceId: 'dev-aaaa' });
    const der = Buffer.from(issued.certificate.rawData);
    const at = der.indexOf(Buffer.from('dev-aaaa'));
    der.write('dev-bbbb', at);
    await expect(verify(new Uint8Array(der))).resolves.toMatchObject({ ok: false, code: 'ERR_CERT_SIGNATURE' });
  });

  it('refuses garbage and says so', async () => {
    await expect(verify('not a certificate')).resolves.toMatchObject({ ok: false, code: 'ERR_CERT_MALFORMED' });
    await expect(verify(new Uint8Array([0x30, 0x03, 0x02, 0x01]))).resolves.toMatchObject({
      ok: false,
      code: 'ERR_CERT_MALFORMED',
    });
  });

  it('refuses a leaf once the intermediate has expired', async () => {
    const issued = await issueFor(testCa, {
      now: new Date(testCa.intermediate.certificate.notAfter.getTime() - 10 * DAY),
    });
    const result = await verify(
      issued.certificate,
      new Date(testCa.intermediate.certificate.notAfter.getTime() + 1000),
    );
    expect(result).toMatchObject({ ok: false, code: 'ERR_CERT_EXPIRED' });
  });

  it('turns a refusal into a 401 error with the same code', async () => {
    const error = deviceCertificateError({ ok: false, code: 'ERR_CERT_EXPIRED', reason: 'expired' });
    expect(error).toMatchObject({ code: 'ERR_CERT_EXPIRED', status: 401 });
  });

  it('verifies in a few milliseconds', async () => {
    const issued = await issueFor(testCa);
    const count = 50;
    const started = performance.now();
    for (let i = 0; i < count; i++) await verify(issued.certificate);
    const each = (performance.now() - started) / count;
    process.stdout.write(`verification: ${each.toFixed(2)} ms per chain\n`);
    expect(each).toBeLessThan(100);
  });
});
