import { buildCrl } from '../../../src/trust/ca/crl.js';
import { issueDeviceCertificate } from '../../../src/trust/ca/issue.js';
import { loadIssuingCa } from '../../../src/trust/ca/import.js';
import { type CaSigner, signerMatchesCertificate } from '../../../src/trust/ca/signer.js';
import { verifyDeviceCertificateChain } from '../../../src/trust/verify.js';
import { CRL_URL, ecKeys, makeCa, NOW, type TestCa } from './fixtures.js';

let testCa: TestCa;

beforeAll(async () => {
  testCa = await makeCa();
});

/** A stand-in for a KMS: it only exposes sign(), and counts the calls. */
function remoteSigner(inner: CaSigner): CaSigner & { calls: number } {
  const signer = {
    calls: 0,
    publicKey: inner.publicKey,
    signatureAlgorithm: inner.signatureAlgorithm,
    sign: async (data: ArrayBuffer) => {
      signer.calls++;
      return inner.sign(data);
    },
  };
  return signer;
}

describe('the CA signing port', () => {
  it('lets a sign()-only signer (KMS/HSM style) issue certificates and CRLs', async () => {
    const kms = remoteSigner(testCa.intermediate.signer);
    const ca = await loadIssuingCa({
      root: testCa.root.certificatePem,
      intermediate: testCa.intermediate.certificatePem,
      signer: kms,
      now: NOW,
    });
    const keys = await ecKeys();
    const issued = await issueDeviceCertificate({
      ca,
      publicKey: keys.publicKey,
      deviceId: 'dev-kms',
      now: NOW,
      crlUrl: CRL_URL,
    });
    await buildCrl({ ca, revoked: [{ serial: issued.serial, revokedAt: NOW }], now: NOW, crlNumber: 1 });
    expect(kms.calls).toBe(3); // key check at load, certificate, CRL
    const result = await verifyDeviceCertificateChain({
      leaf: issued.certificate,
      trustAnchors: { root: testCa.root.certificate, intermediate: testCa.intermediate.certificate },
      now: NOW,
    });
    expect(result).toMatchObject({ ok: true, deviceId: 'dev-kms' });
  });

  it('reports an unreachable signer as unavailable (503), not as a key mismatch', async () => {
    const broken: CaSigner = { ...testCa.intermediate.signer, sign: () => Promise.reject(new Error('KMS timeout')) };
    await expect(signerMatchesCertificate(broken, testCa.intermediate.certificate)).rejects.toMatchObject({
      code: 'ERR_CA_SIGNER_UNAVAILABLE',
      status: 503,
    });
    const keys = await ecKeys();
    await expect(
      issueDeviceCertificate({
        ca: { ...testCa.ca, signer: broken },
        publicKey: keys.publicKey,
        deviceId: 'dev-1',
        now: NOW,
        crlUrl: CRL_URL,
      }),
    ).rejects.toMatchObject({ code: 'ERR_CA_SIGNER_UNAVAILABLE' });
  });

  it('tells a signer of another key from the right one', async () => {
    expect(await signerMatchesCertificate(testCa.intermediate.signer, testCa.intermediate.certificate)).toBe(true);
    expect(await signerMatchesCertificate(testCa.root.signer, testCa.intermediate.certificate)).toBe(false);
  });
});
