// RFC 5280 checks that chain building does not do: validity periods, CA flag and path length, key usage,
// extended key usage and unknown critical extensions. Shared by CA import and device verification, which
// map each problem to their own stable error codes.
import { x509 } from './x509.js';

export type ConstraintProblem =
  | 'expired'
  | 'not-yet-valid'
  | 'not-ca'
  | 'path-length'
  | 'key-usage'
  | 'not-end-entity'
  | 'extended-key-usage'
  | 'critical-extension';

export interface ConstraintViolation {
  problem: ConstraintProblem;
  reason: string;
}

/** Extensions Latchkey understands; any other extension marked critical makes a certificate unusable. */
const UNDERSTOOD_EXTENSIONS = new Set([
  '2.5.29.14', // subjectKeyIdentifier
  '2.5.29.15', // keyUsage
  '2.5.29.17', // subjectAltName
  '2.5.29.18', // issuerAltName
  '2.5.29.19', // basicConstraints
  '2.5.29.31', // cRLDistributionPoints
  '2.5.29.32', // certificatePolicies (no policy processing: Latchkey asserts no policy)
  '2.5.29.35', // authorityKeyIdentifier
  '2.5.29.37', // extKeyUsage
  '1.3.6.1.5.5.7.1.1', // authorityInfoAccess
]);

const violation = (problem: ConstraintProblem, reason: string): ConstraintViolation => ({ problem, reason });

/** Checks notBefore <= now <= notAfter for the certificate playing `role` ("device certificate", ...). */
export function checkValidity(certificate: x509.X509Certificate, now: Date, role: string): ConstraintViolation | null {
  if (now.getTime() < certificate.notBefore.getTime()) {
    return violation('not-yet-valid', `the ${role} is not valid before ${certificate.notBefore.toISOString()}`);
  }
  if (now.getTime() > certificate.notAfter.getTime()) {
    return violation('expired', `the ${role} expired at ${certificate.notAfter.toISOString()}`);
  }
  return null;
}

/** Refuses a certificate carrying a critical extension Latchkey does not process. */
export function checkCriticalExtensions(certificate: x509.X509Certificate, role: string): ConstraintViolation | null {
  const unknown = certificate.extensions.find(
    (extension) => extension.critical && !UNDERSTOOD_EXTENSIONS.has(extension.type),
  );
  return unknown
    ? violation('critical-extension', `the ${role} has an unsupported critical extension ${unknown.type}`)
    : null;
}

/**
 * Checks that `certificate` may issue certificates: CA flag set, a path length that allows
 * `intermediatesBelow` further CA certificates, and keyCertSign (plus cRLSign if `signsCrls`) when a key
 * usage extension is present.
 */
export function checkIssuer(
  certificate: x509.X509Certificate,
  role: string,
  intermediatesBelow: number,
  signsCrls = false,
): ConstraintViolation | null {
  const constraints = certificate.getExtension(x509.BasicConstraintsExtension);
  if (!constraints?.ca)
    return violation('not-ca', `the ${role} is not a CA certificate (basicConstraints CA flag missing)`);
  if (constraints.pathLength !== undefined && constraints.pathLength < intermediatesBelow) {
    return violation(
      'path-length',
      `the ${role} allows ${constraints.pathLength} intermediate CAs below it, the chain has ${intermediatesBelow}`,
    );
  }
  const keyUsage = certificate.getExtension(x509.KeyUsagesExtension);
  if (keyUsage && !(keyUsage.usages & x509.KeyUsageFlags.keyCertSign)) {
    return violation('key-usage', `the ${role}'s key usage does not allow signing certificates (keyCertSign)`);
  }
  if (keyUsage && signsCrls && !(keyUsage.usages & x509.KeyUsageFlags.cRLSign)) {
    return violation('key-usage', `the ${role}'s key usage does not allow signing CRLs (cRLSign)`);
  }
  return checkCriticalExtensions(certificate, role);
}

/** Checks a device certificate's constraints: not a CA, digitalSignature key usage, clientAuth EKU. */
export function checkDeviceLeaf(certificate: x509.X509Certificate): ConstraintViolation | null {
  const role = 'device certificate';
  if (certificate.getExtension(x509.BasicConstraintsExtension)?.ca) {
    return violation('not-end-entity', 'the device certificate is a CA certificate');
  }
  const keyUsage = certificate.getExtension(x509.KeyUsagesExtension);
  if (!keyUsage || !(keyUsage.usages & x509.KeyUsageFlags.digitalSignature)) {
    return violation('key-usage', 'the device certificate does not allow digitalSignature');
  }
  const extendedKeyUsage = certificate.getExtension(x509.ExtendedKeyUsageExtension);
  if (!extendedKeyUsage?.usages.includes(x509.ExtendedKeyUsage.clientAuth)) {
    return violation(
      'extended-key-usage',
      'the device certificate is not valid for TLS client authentication (clientAuth)',
    );
  }
  return checkCriticalExtensions(certificate, role);
}

/** True if `certificate`'s issuer name is byte-for-byte `issuer`'s subject name. */
export function issuedBy(certificate: x509.X509Certificate, issuer: x509.X509Certificate): boolean {
  return Buffer.from(certificate.issuerName.toArrayBuffer()).equals(Buffer.from(issuer.subjectName.toArrayBuffer()));
}

/**
 * Verification keys imported from issuer certificates, per certificate object and signature algorithm
 * (an RSA key is imported for one hash). Importing the key (ASN.1 export, then createPublicKey) on every
 * device check cost more CPU than the ECDSA verification itself; the CA's certificates are parsed once
 * per stored record (ActiveCa), so their keys live as long as those objects.
 */
const verificationKeys = new WeakMap<x509.X509Certificate, Map<string, Promise<CryptoKey>>>();

function verificationKey(issuer: x509.X509Certificate, certificate: x509.X509Certificate): Promise<CryptoKey> {
  const algorithm = { ...issuer.publicKey.algorithm, ...certificate.signatureAlgorithm };
  const id = JSON.stringify(algorithm);
  let keys = verificationKeys.get(issuer);
  if (!keys) verificationKeys.set(issuer, (keys = new Map()));
  let key = keys.get(id);
  if (!key) {
    const imported = issuer.publicKey.export(algorithm, ['verify']);
    key = imported;
    keys.set(id, imported);
    imported.catch(() => keys.delete(id));
  }
  return key;
}

/** True if `issuer`'s key verifies `certificate`'s signature (the signature alone, no dates). */
export async function signedBy(certificate: x509.X509Certificate, issuer: x509.X509Certificate): Promise<boolean> {
  try {
    const publicKey = await verificationKey(issuer, certificate);
    return await certificate.verify({ publicKey, signatureOnly: true });
  } catch {
    return false;
  }
}
