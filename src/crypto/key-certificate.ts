// A self-signed certificate for a token-signing key, published as the key's `x5c` in the JWKS. Nothing
// in OpenID Connect needs it, but Microsoft Entra refuses an external authentication method whose JWKS
// keys lack x5c. It names the key and says nothing else: verifiers trust the JWKS, not this certificate.
// (@peculiar/x509 is set up as trust/x509.ts does; crypto/ cannot import trust/, which imports crypto/.)
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { randomBytes } from 'node:crypto';
import { importJWK, type JWK } from 'jose';

x509.cryptoProvider.set(globalThis.crypto);

const YEAR_MS = 365 * 24 * 3600 * 1000;

/** A self-signed certificate for the private JWK `jwk` (RS256 or ES256), base64 DER as x5c wants it. */
export async function selfSignedX5c(jwk: JWK & { kid: string; alg: string }, now = new Date()): Promise<string[]> {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = jwk;
  const [privateKey, publicKey] = await Promise.all([
    importJWK({ ...jwk, ext: true }, jwk.alg) as Promise<CryptoKey>,
    importJWK({ ...publicJwk, ext: true }, jwk.alg) as Promise<CryptoKey>,
  ]);
  const serial = randomBytes(16);
  serial[0]! &= 0x7f;
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial.toString('hex'),
    name: `CN=Latchkey token signing key ${jwk.kid}`,
    notBefore: new Date(now.getTime() - 5 * 60 * 1000),
    notAfter: new Date(now.getTime() + 10 * YEAR_MS),
    keys: { privateKey, publicKey },
    signingAlgorithm:
      jwk.alg === 'ES256' ? { name: 'ECDSA', hash: 'SHA-256' } : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    extensions: [new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true)],
  });
  return [Buffer.from(certificate.rawData).toString('base64')];
}
