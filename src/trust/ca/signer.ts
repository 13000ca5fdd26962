// The CA signing port. Issuing code never touches a private key: it asks a CaSigner to sign the
// to-be-signed bytes, so the intermediate's key can live in WebCrypto today and in a KMS/HSM later.
//
// @peculiar/x509 insists on `signingKey: CryptoKey` and calls `crypto.subtle.sign(alg, key, tbs)` on the
// Crypto it is given. `x509SigningParams` bridges the two: it hands the library the signer's *public*
// CryptoKey (only read for its `.algorithm`) and a Crypto whose `subtle.sign` calls `signer.sign`. A KMS
// adapter therefore implements `sign()` alone and never needs a private CryptoKey.
import { CaError, CaSignerUnavailableError } from '../errors.js';
import { toArrayBuffer } from '../pem.js';
import { x509 } from '../x509.js';

/** WebCrypto algorithm (with hash) of the signatures a CaSigner produces. */
export type CaSignatureAlgorithm =
  | { name: 'ECDSA'; hash: 'SHA-256' | 'SHA-384' | 'SHA-512' }
  | { name: 'RSASSA-PKCS1-v1_5'; hash: 'SHA-256' | 'SHA-384' | 'SHA-512' };

/** Something that signs for a CA key: a WebCrypto private key here, a KMS/HSM key later. */
export interface CaSigner {
  /** The public half as a WebCrypto key (its `.algorithm` names the key type and curve). */
  readonly publicKey: CryptoKey;
  /** Algorithm of the signatures `sign` returns. */
  readonly signatureAlgorithm: CaSignatureAlgorithm;
  /**
   * Signs `data` and returns the signature in WebCrypto format: IEEE P1363 `r || s` for ECDSA (a KMS that
   * returns DER must convert), the plain signature for RSA.
   */
  sign(data: ArrayBuffer): Promise<ArrayBuffer>;
}

/** The hash conventionally paired with an ECDSA curve: SHA-256 for P-256, SHA-384 for P-384, SHA-512 for P-521. */
function ecdsaHash(namedCurve: string): 'SHA-256' | 'SHA-384' | 'SHA-512' {
  switch (namedCurve) {
    case 'P-256':
      return 'SHA-256';
    case 'P-384':
      return 'SHA-384';
    case 'P-521':
      return 'SHA-512';
    default:
      throw new CaError('ERR_CA_KEY_UNSUPPORTED', `CA key curve ${namedCurve} is not supported`);
  }
}

/** The signature algorithm for a CA key with WebCrypto algorithm `keyAlgorithm`. */
export function signatureAlgorithmFor(keyAlgorithm: KeyAlgorithm): CaSignatureAlgorithm {
  if (keyAlgorithm.name === 'ECDSA') {
    return { name: 'ECDSA', hash: ecdsaHash((keyAlgorithm as EcKeyAlgorithm).namedCurve) };
  }
  if (keyAlgorithm.name === 'RSASSA-PKCS1-v1_5') {
    const hash = (keyAlgorithm as RsaHashedKeyAlgorithm).hash.name;
    if (hash === 'SHA-256' || hash === 'SHA-384' || hash === 'SHA-512') return { name: 'RSASSA-PKCS1-v1_5', hash };
  }
  throw new CaError('ERR_CA_KEY_UNSUPPORTED', `CA key algorithm ${keyAlgorithm.name} is not supported`);
}

/** A CaSigner over a WebCrypto key pair held in this process. */
export function webCryptoSigner(privateKey: CryptoKey, publicKey: CryptoKey): CaSigner {
  const signatureAlgorithm = signatureAlgorithmFor(publicKey.algorithm);
  return {
    publicKey,
    signatureAlgorithm,
    sign: (data) => globalThis.crypto.subtle.sign(signatureAlgorithm, privateKey, data),
  };
}

/** What @peculiar/x509 generators need to sign through a CaSigner (see the module comment). */
export interface X509SigningParams {
  /** Spread into the generator's parameters. */
  params: { signingKey: CryptoKey; signingAlgorithm: CaSignatureAlgorithm };
  /** Pass as the generator's `crypto` argument. */
  crypto: Crypto;
}

/** Builds the `signingKey`/`signingAlgorithm`/`crypto` triple that @peculiar/x509 generators expect. */
export function x509SigningParams(signer: CaSigner): X509SigningParams {
  const base = globalThis.crypto;
  const sign = async (_algorithm: unknown, _key: unknown, data: BufferSource): Promise<ArrayBuffer> => {
    try {
      return await signer.sign(toArrayBuffer(data));
    } catch (cause) {
      throw new CaSignerUnavailableError('the CA signing key could not sign', cause);
    }
  };
  const subtle = new Proxy(base.subtle, {
    get: (target, property) => (property === 'sign' ? sign : bound(target, property)),
  });
  const crypto = new Proxy(base, {
    get: (target, property) => (property === 'subtle' ? subtle : bound(target, property)),
  });
  return { params: { signingKey: signer.publicKey, signingAlgorithm: signer.signatureAlgorithm }, crypto };
}

/** Reads `property` of a native object, binding methods so they keep their receiver behind a Proxy. */
function bound(target: object, property: string | symbol): unknown {
  const value: unknown = Reflect.get(target, property, target);
  return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
}

/**
 * True if `signer` produces signatures that `certificate`'s public key verifies (a probe signature).
 * A signer that cannot sign at all throws CaSignerUnavailableError rather than answering false.
 */
export async function signerMatchesCertificate(signer: CaSigner, certificate: x509.X509Certificate): Promise<boolean> {
  const probe = globalThis.crypto.getRandomValues(new Uint8Array(32));
  let signature: ArrayBuffer;
  try {
    signature = await signer.sign(probe.buffer);
  } catch (cause) {
    throw new CaSignerUnavailableError('the CA signing key could not sign', cause);
  }
  const keyAlgorithm = { ...certificate.publicKey.algorithm, ...signer.signatureAlgorithm };
  // A key of another type or curve cannot even be imported for this algorithm: that is a mismatch too.
  const publicKey = await certificate.publicKey.export(keyAlgorithm, ['verify']).catch(() => null);
  if (!publicKey) return false;
  return globalThis.crypto.subtle.verify(signer.signatureAlgorithm, publicKey, signature, probe);
}
