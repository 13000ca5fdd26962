// Parse → verify → decide for a device's certificate signing request: size cap, PEM and ASN.1 parsing,
// key policy (ECDSA P-256/P-384, RSA 2048-8192), then proof of possession (the CSR's own signature).
// The requested subject and extensions are ignored: Latchkey decides what a device certificate says.
import { spkiSha256 } from './digest.js';
import { CsrError } from './errors.js';
import { x509 } from './x509.js';

export interface CsrLimits {
  /** Largest PEM accepted, in bytes (default 16 KiB). */
  maxPemBytes: number;
  /** Smallest RSA modulus accepted, in bits (default 2048). */
  minRsaBits: number;
  /** Largest RSA modulus accepted, in bits (default 8192, bounds verification cost). */
  maxRsaBits: number;
  /** ECDSA curves accepted (default P-256 and P-384). */
  curves: readonly string[];
}

export const DEFAULT_CSR_LIMITS: CsrLimits = {
  maxPemBytes: 16 * 1024,
  minRsaBits: 2048,
  maxRsaBits: 8192,
  curves: ['P-256', 'P-384'],
};

/** Key type of an accepted CSR, e.g. "ECDSA-P256" or "RSA-3072". */
export type DeviceKeyAlgorithm = `ECDSA-${'P256' | 'P384'}` | `RSA-${number}`;

export interface VerifiedCsr {
  /** The device's public key, ready for `issueDeviceCertificate`. */
  publicKey: x509.PublicKey;
  /** Lowercase hex SHA-256 of the DER SubjectPublicKeyInfo. */
  spkiSha256: string;
  keyAlgorithm: DeviceKeyAlgorithm;
}

const CSR_LABELS = new Set(['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST']);

/**
 * Parses a PEM CSR and verifies it; returns the public key and its fingerprint or throws CsrError
 * (ERR_CSR_TOO_LARGE, ERR_CSR_MALFORMED, ERR_CSR_NOT_A_CSR, ERR_CSR_WEAK_KEY, ERR_CSR_UNSUPPORTED_KEY,
 * ERR_CSR_SIGNATURE).
 */
export async function parseAndVerifyCsr(pem: unknown, limits: Partial<CsrLimits> = {}): Promise<VerifiedCsr> {
  const policy = { ...DEFAULT_CSR_LIMITS, ...limits };
  const csr = parseCsr(pem, policy.maxPemBytes);
  const keyAlgorithm = checkKey(csr.publicKey, policy);
  if (!(await csr.verify().catch(() => false))) {
    throw new CsrError('ERR_CSR_SIGNATURE', 'the certificate request is not signed by the key it contains');
  }
  return { publicKey: csr.publicKey, spkiSha256: await spkiSha256(csr.publicKey), keyAlgorithm };
}

function parseCsr(pem: unknown, maxPemBytes: number): x509.Pkcs10CertificateRequest {
  if (typeof pem !== 'string') throw new CsrError('ERR_CSR_MALFORMED', 'the certificate request must be PEM text');
  const size = Buffer.byteLength(pem, 'utf8');
  if (size > maxPemBytes) {
    throw new CsrError('ERR_CSR_TOO_LARGE', `the certificate request is larger than ${maxPemBytes} bytes`, { size });
  }
  let blocks: x509.PemStruct[];
  try {
    blocks = x509.PemConverter.decodeWithHeaders(pem);
  } catch (cause) {
    throw new CsrError('ERR_CSR_MALFORMED', 'the certificate request is not valid PEM', { cause: String(cause) });
  }
  const [block] = blocks;
  if (!block || blocks.length !== 1) throw new CsrError('ERR_CSR_MALFORMED', 'expected exactly one PEM block');
  if (!CSR_LABELS.has(block.type)) {
    throw new CsrError('ERR_CSR_NOT_A_CSR', `expected a CERTIFICATE REQUEST, got ${block.type.slice(0, 40)}`);
  }
  try {
    return new x509.Pkcs10CertificateRequest(block.rawData);
  } catch (cause) {
    throw new CsrError('ERR_CSR_MALFORMED', 'the certificate request is truncated or not valid DER', {
      cause: String(cause),
    });
  }
}

function checkKey(publicKey: x509.PublicKey, policy: CsrLimits): DeviceKeyAlgorithm {
  const algorithm = keyAlgorithm(publicKey);
  if (algorithm.name === 'ECDSA') {
    const curve = (algorithm as EcKeyAlgorithm).namedCurve;
    if (curve !== 'P-256' && curve !== 'P-384') {
      throw new CsrError('ERR_CSR_UNSUPPORTED_KEY', `ECDSA curve ${curve} is not supported (use P-256 or P-384)`, {
        curve,
      });
    }
    if (!policy.curves.includes(curve)) {
      throw new CsrError('ERR_CSR_UNSUPPORTED_KEY', `ECDSA curve ${curve} is not allowed`, { curve });
    }
    return curve === 'P-256' ? 'ECDSA-P256' : 'ECDSA-P384';
  }
  if (algorithm.name === 'RSASSA-PKCS1-v1_5') {
    const bits = (algorithm as RsaKeyAlgorithm).modulusLength;
    if (bits < policy.minRsaBits) {
      throw new CsrError(
        'ERR_CSR_WEAK_KEY',
        `RSA keys must have at least ${policy.minRsaBits} bits, this one has ${bits}`,
        { bits },
      );
    }
    if (bits > policy.maxRsaBits) {
      throw new CsrError('ERR_CSR_UNSUPPORTED_KEY', `RSA keys over ${policy.maxRsaBits} bits are not supported`, {
        bits,
      });
    }
    return `RSA-${bits}`;
  }
  throw new CsrError(
    'ERR_CSR_UNSUPPORTED_KEY',
    `keys of type ${algorithm.name} are not supported (use ECDSA P-256/P-384 or RSA)`,
    {
      algorithm: algorithm.name,
    },
  );
}

/** The key's WebCrypto algorithm; a key type the library cannot even name is unsupported. */
function keyAlgorithm(publicKey: x509.PublicKey): Algorithm {
  try {
    return publicKey.algorithm;
  } catch (cause) {
    throw new CsrError('ERR_CSR_UNSUPPORTED_KEY', 'the key type of the certificate request is not supported', {
      cause: String(cause),
    });
  }
}
