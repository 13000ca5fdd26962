import { createPrivateKey } from 'node:crypto';
import { createCsrPem, exportPrivateKeyPem, generateDeviceKeyPair, newDeviceKey } from '../../../src/agent/keys.js';
import { parseAndVerifyCsr } from '../../../src/trust/csr.js';
import { spkiSha256 } from '../../../src/trust/digest.js';

describe('device keys', () => {
  it('generates a P-256 key whose CSR the server accepts', async () => {
    const keys = await generateDeviceKeyPair();
    expect(keys.privateKey.algorithm).toMatchObject({ name: 'ECDSA', namedCurve: 'P-256' });
    const csr = await parseAndVerifyCsr(await createCsrPem(keys, 'laptop-1'));
    expect(csr.keyAlgorithm).toBe('ECDSA-P256');
    expect(csr.spkiSha256).toBe(await spkiSha256(keys.publicKey));
  });

  it('exports the key as PKCS#8 PEM', async () => {
    const keys = await generateDeviceKeyPair();
    const pem = await exportPrivateKeyPem(keys.privateKey);
    expect(pem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(createPrivateKey(pem).asymmetricKeyDetails).toMatchObject({ namedCurve: 'prime256v1' });
  });

  it('makes a fresh key and CSR in one step, a different key each time', async () => {
    const a = await newDeviceKey();
    const b = await newDeviceKey();
    expect(a.privateKeyPem).not.toBe(b.privateKeyPem);
    await expect(parseAndVerifyCsr(a.csrPem)).resolves.toBeDefined();
  });
});
