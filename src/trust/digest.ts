// Fingerprints Latchkey records and compares: SHA-256 of a key's SubjectPublicKeyInfo (binds a device
// certificate to its key across renewals) and SHA-256 of a whole certificate (shown by `ca show`).
import { toHex } from './pem.js';
import { x509 } from './x509.js';

/** Lowercase hex SHA-256 of the DER SubjectPublicKeyInfo of `publicKey`. */
export async function spkiSha256(publicKey: x509.PublicKey | CryptoKey): Promise<string> {
  const spki =
    publicKey instanceof x509.PublicKey
      ? publicKey.rawData
      : await globalThis.crypto.subtle.exportKey('spki', publicKey);
  return toHex(await globalThis.crypto.subtle.digest('SHA-256', spki));
}

/** Lowercase hex SHA-256 of the DER certificate (the usual "SHA-256 fingerprint", without colons). */
export async function certificateSha256(certificate: x509.X509Certificate): Promise<string> {
  return toHex(await certificate.getThumbprint('SHA-256'));
}
