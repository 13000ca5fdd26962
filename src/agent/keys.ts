// The device's key pair and its certificate signing request. The key is generated on the device and never
// leaves it except inside a password-protected PKCS#12 the user exports on purpose.
import { toPem } from '../trust/pem.js';
import { x509 } from '../trust/x509.js';

const DEVICE_KEY_ALGORITHM: EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };

/** Generates the device's ECDSA P-256 key pair (extractable, so it can be stored as PKCS#8). */
export async function generateDeviceKeyPair(): Promise<CryptoKeyPair> {
  return globalThis.crypto.subtle.generateKey(DEVICE_KEY_ALGORITHM, true, ['sign', 'verify']);
}

/**
 * Builds a PEM CSR signed with `keys`. The server ignores the requested subject; `commonName` (default the
 * host name the caller passes) only helps an administrator reading a captured request.
 */
export async function createCsrPem(keys: CryptoKeyPair, commonName = 'latchkey-agent'): Promise<string> {
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [{ CN: [commonName] }],
    keys,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } as EcdsaParams,
  });
  return toPem(csr.rawData, 'CERTIFICATE REQUEST');
}

/** Exports a private key as unencrypted PKCS#8 PEM (stored with mode 0600 in the state directory). */
export async function exportPrivateKeyPem(privateKey: CryptoKey): Promise<string> {
  return toPem(await globalThis.crypto.subtle.exportKey('pkcs8', privateKey), 'PRIVATE KEY');
}

/** A new key pair with its CSR and PKCS#8 PEM, as enrollment and key-rotating renewal need them. */
export async function newDeviceKey(commonName?: string): Promise<{ csrPem: string; privateKeyPem: string }> {
  const keys = await generateDeviceKeyPair();
  return { csrPem: await createCsrPem(keys, commonName), privateKeyPem: await exportPrivateKeyPem(keys.privateKey) };
}
