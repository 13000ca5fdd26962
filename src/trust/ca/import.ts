// `latchkey ca import` and loading the CA at start: checks that an organisation's root and intermediate
// (and the intermediate's key or signer) form a CA Latchkey can issue from, before anything is stored.
// Every refusal is a CaError with a stable code naming what is wrong.
import { createPrivateKey } from 'node:crypto';
import { type CertificateInput, parseCertificate } from '../certificate-input.js';
import { checkIssuer, checkValidity, type ConstraintViolation, issuedBy, signedBy } from '../constraints.js';
import { CaError, type CaErrorCode } from '../errors.js';
import { toArrayBuffer } from '../pem.js';
import { x509 } from '../x509.js';
import type { IssuingCa } from './authority.js';
import { type CaSigner, signerMatchesCertificate, webCryptoSigner } from './signer.js';

const CODES: Record<ConstraintViolation['problem'], CaErrorCode> = {
  expired: 'ERR_CA_EXPIRED',
  'not-yet-valid': 'ERR_CA_NOT_YET_VALID',
  'not-ca': 'ERR_CA_NOT_CA',
  'path-length': 'ERR_CA_PATH_LENGTH',
  'key-usage': 'ERR_CA_KEY_USAGE',
  'critical-extension': 'ERR_CA_CRITICAL_EXTENSION',
  'not-end-entity': 'ERR_CA_NOT_CA',
  'extended-key-usage': 'ERR_CA_KEY_USAGE',
};

/**
 * Validates an organisation's CA for import: `rootPem` self-signed, CA, pathLen >= 1 if set;
 * `intermediatePem` issued and signed by the root, CA, keyCertSign + cRLSign; both valid at `now`; and the
 * intermediate's private key (PKCS#8 PEM; SEC1 "EC PRIVATE KEY" and PKCS#1 "RSA PRIVATE KEY" are converted)
 * matching the intermediate certificate. Throws CaError on the first problem found.
 */
export async function importCa(
  rootPem: string,
  intermediatePem: string,
  intermediateKeyPem: string,
  now: Date,
): Promise<IssuingCa> {
  const intermediate = parseCa(intermediatePem, 'intermediate CA');
  const signer = await signerFromPrivateKeyPem(intermediateKeyPem, intermediate);
  return loadIssuingCa({ root: rootPem, intermediate, signer, now });
}

/**
 * Assembles the IssuingCa from stored certificates and a signer (a WebCrypto key from
 * `signerFromPrivateKeyPem`, or a KMS/HSM adapter), with the same checks as `importCa`.
 */
export async function loadIssuingCa(input: {
  root: CertificateInput;
  intermediate: CertificateInput;
  signer: CaSigner;
  now: Date;
}): Promise<IssuingCa> {
  const root = parseCa(input.root, 'root CA');
  const intermediate = parseCa(input.intermediate, 'intermediate CA');
  await checkRoot(root, input.now);
  await checkIntermediate(intermediate, root, input.now);
  if (!(await signerMatchesCertificate(input.signer, intermediate))) {
    throw new CaError('ERR_CA_KEY_MISMATCH', 'the private key does not belong to the intermediate CA certificate');
  }
  return { root, intermediate, signer: input.signer };
}

/** A CaSigner for the intermediate from its private key PEM (PKCS#8, SEC1 or PKCS#1; not encrypted). */
export async function signerFromPrivateKeyPem(pem: string, certificate: x509.X509Certificate): Promise<CaSigner> {
  const pkcs8 = pkcs8Der(pem);
  const algorithm = importAlgorithm(certificate.publicKey.algorithm);
  try {
    const privateKey = await globalThis.crypto.subtle.importKey('pkcs8', pkcs8, algorithm, false, ['sign']);
    const publicKey = await certificate.publicKey.export(algorithm, ['verify']);
    return webCryptoSigner(privateKey, publicKey);
  } catch (cause) {
    throw new CaError('ERR_CA_KEY_MISMATCH', 'the private key does not fit the intermediate CA certificate', {
      cause: String(cause),
    });
  }
}

async function checkRoot(root: x509.X509Certificate, now: Date): Promise<void> {
  if (!issuedBy(root, root) || !(await signedBy(root, root))) {
    throw new CaError('ERR_CA_NOT_SELF_SIGNED', 'the root CA certificate is not self-signed');
  }
  refuse(checkIssuer(root, 'root CA', 1) ?? checkValidity(root, now, 'root CA'));
}

async function checkIntermediate(
  intermediate: x509.X509Certificate,
  root: x509.X509Certificate,
  now: Date,
): Promise<void> {
  if (intermediate.equal(root)) {
    throw new CaError('ERR_CA_NOT_ISSUED_BY_ROOT', 'the intermediate CA certificate is the root itself');
  }
  if (!issuedBy(intermediate, root) || !(await signedBy(intermediate, root))) {
    throw new CaError('ERR_CA_NOT_ISSUED_BY_ROOT', 'the intermediate CA certificate is not signed by the root CA');
  }
  refuse(checkIssuer(intermediate, 'intermediate CA', 0, true) ?? checkValidity(intermediate, now, 'intermediate CA'));
}

function refuse(violation: ConstraintViolation | null): void {
  if (violation) throw new CaError(CODES[violation.problem], violation.reason);
}

function parseCa(input: CertificateInput, role: string): x509.X509Certificate {
  try {
    return parseCertificate(input);
  } catch (cause) {
    throw new CaError('ERR_CA_MALFORMED', `the ${role} is not a single X.509 certificate`, { cause: String(cause) });
  }
}

function pkcs8Der(pem: string): ArrayBuffer {
  if (/ENCRYPTED/.test(pem)) {
    throw new CaError(
      'ERR_CA_KEY_UNSUPPORTED',
      'the private key is encrypted: decrypt it first (openssl pkey -in KEY -out PLAIN)',
    );
  }
  try {
    return toArrayBuffer(createPrivateKey({ key: pem, format: 'pem' }).export({ type: 'pkcs8', format: 'der' }));
  } catch (cause) {
    throw new CaError('ERR_CA_MALFORMED', 'the private key is not a PEM private key', { cause: String(cause) });
  }
}

function importAlgorithm(keyAlgorithm: Algorithm): EcKeyImportParams | RsaHashedImportParams {
  if (keyAlgorithm.name === 'ECDSA') return { name: 'ECDSA', namedCurve: (keyAlgorithm as EcKeyAlgorithm).namedCurve };
  if (keyAlgorithm.name === 'RSASSA-PKCS1-v1_5') return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  throw new CaError(
    'ERR_CA_KEY_UNSUPPORTED',
    `CA keys of type ${keyAlgorithm.name} are not supported (use ECDSA or RSA)`,
  );
}
