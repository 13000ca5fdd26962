import { parseAndVerifyCsr } from '../../../src/trust/csr.js';
import { CsrError } from '../../../src/trust/errors.js';
import { spkiSha256 } from '../../../src/trust/digest.js';
import { x509 } from '../../../src/trust/x509.js';
import { csrFor, ecKeys, makeCa, rsaKeys } from './fixtures.js';

describe('parseAndVerifyCsr', () => {
  it('accepts a P-256 CSR and returns its key and SPKI fingerprint', async () => {
    const keys = await ecKeys('P-256');
    const result = await parseAndVerifyCsr(await csrFor(keys));
    expect(result.keyAlgorithm).toBe('ECDSA-P256');
    expect(result.spkiSha256).toBe(await spkiSha256(keys.publicKey));
    expect(result.publicKey).toBeInstanceOf(x509.PublicKey);
  });

  it('accepts P-384 and RSA 2048', async () => {
    await expect(parseAndVerifyCsr(await csrFor(await ecKeys('P-384')))).resolves.toMatchObject({
      keyAlgorithm: 'ECDSA-P384',
    });
    await expect(parseAndVerifyCsr(await csrFor(await rsaKeys(2048)))).resolves.toMatchObject({
      keyAlgorithm: 'RSA-2048',
    });
  });

  it('accepts a "NEW CERTIFICATE REQUEST" label', async () => {
    const pem = (await csrFor(await ecKeys())).replace(/CERTIFICATE REQUEST/g, 'NEW CERTIFICATE REQUEST');
    await expect(parseAndVerifyCsr(pem)).resolves.toMatchObject({ keyAlgorithm: 'ECDSA-P256' });
  });

  const rejects = async (pem: unknown, code: string) => {
    const error: unknown = await parseAndVerifyCsr(pem).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CsrError);
    expect(error).toMatchObject({ code, status: 400 });
  };

  it('refuses garbage', async () => {
    await rejects('hello, I am not a CSR', 'ERR_CSR_MALFORMED');
    await rejects(
      '-----BEGIN CERTIFICATE REQUEST-----\nbm90IEFTTi4x\n-----END CERTIFICATE REQUEST-----\n',
      'ERR_CSR_MALFORMED',
    );
    await rejects(42, 'ERR_CSR_MALFORMED');
  });

  it('refuses a truncated CSR', async () => {
    const pem = await csrFor(await ecKeys());
    const body = pem
      .split('\n')
      .filter((line) => line && !line.startsWith('-----'))
      .join('');
    const truncated = `-----BEGIN CERTIFICATE REQUEST-----\n${body.slice(0, Math.floor(body.length / 2) & ~3)}\n-----END CERTIFICATE REQUEST-----\n`;
    await rejects(truncated, 'ERR_CSR_MALFORMED');
  });

  it('refuses an oversized CSR before parsing it', async () => {
    const pem = await csrFor(await ecKeys());
    await rejects(pem + ' '.repeat(16 * 1024), 'ERR_CSR_TOO_LARGE');
    await expect(parseAndVerifyCsr(pem, { maxPemBytes: 100 })).rejects.toMatchObject({ code: 'ERR_CSR_TOO_LARGE' });
  });

  it('refuses a certificate, a key or two CSRs in place of one CSR', async () => {
    const { root } = await makeCa();
    await rejects(root.certificatePem, 'ERR_CSR_NOT_A_CSR');
    await rejects(root.privateKeyPem, 'ERR_CSR_NOT_A_CSR');
    const csr = await csrFor(await ecKeys());
    await rejects(csr + csr, 'ERR_CSR_MALFORMED');
  });

  it('refuses a CSR carrying one key but signed by another', async () => {
    const signer = await ecKeys();
    const other = await ecKeys();
    // The generator signs with `privateKey` and embeds `publicKey`: mixing pairs swaps the public key.
    const swapped = await csrFor({ privateKey: signer.privateKey, publicKey: other.publicKey });
    await rejects(swapped, 'ERR_CSR_SIGNATURE');
  });

  it('refuses RSA keys under 2048 bits', async () => {
    await rejects(await csrFor(await rsaKeys(1024)), 'ERR_CSR_WEAK_KEY');
  });

  it('refuses P-521 and Ed25519 keys', async () => {
    await rejects(await csrFor(await ecKeys('P-521')), 'ERR_CSR_UNSUPPORTED_KEY');
    const ed25519 = (await globalThis.crypto.subtle.generateKey({ name: 'Ed25519' }, true, [
      'sign',
      'verify',
    ])) as CryptoKeyPair;
    await rejects(await csrFor(ed25519), 'ERR_CSR_UNSUPPORTED_KEY');
  });

  it('can narrow the accepted curves', async () => {
    await expect(parseAndVerifyCsr(await csrFor(await ecKeys('P-384')), { curves: ['P-256'] })).rejects.toMatchObject({
      code: 'ERR_CSR_UNSUPPORTED_KEY',
    });
  });
});
