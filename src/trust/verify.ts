// Verifies a device certificate presented on the device-check listener (or by a trusted proxy) against
// Latchkey's own CA: signatures up to our root, validity of every certificate, CA flags and path length,
// the leaf's key usage, clientAuth and device URN. Revocation is database state: the caller checks it.
import { type CertificateInput, parseCertificate } from './certificate-input.js';
import {
  checkDeviceLeaf,
  checkIssuer,
  checkValidity,
  type ConstraintProblem,
  type ConstraintViolation,
  issuedBy,
  signedBy,
} from './constraints.js';
import { spkiSha256 } from './digest.js';
import { AuthenticationError } from '../errors.js';
import { DEVICE_URN_PREFIX, parseDeviceUrn } from './profile.js';
import { x509 } from './x509.js';

/** Stable codes for a device certificate that does not verify. */
export type DeviceCertificateFailureCode =
  | 'ERR_CERT_MALFORMED'
  | 'ERR_CERT_UNTRUSTED_CHAIN'
  | 'ERR_CERT_SIGNATURE'
  | 'ERR_CERT_EXPIRED'
  | 'ERR_CERT_NOT_YET_VALID'
  | 'ERR_CERT_NOT_CA'
  | 'ERR_CERT_PATH_LENGTH'
  | 'ERR_CERT_NOT_END_ENTITY'
  | 'ERR_CERT_KEY_USAGE'
  | 'ERR_CERT_EKU'
  | 'ERR_CERT_CRITICAL_EXTENSION'
  | 'ERR_CERT_DEVICE_ID';

export interface VerifiedDeviceCertificate {
  ok: true;
  deviceId: string;
  /** Lowercase hex serial, as `issueDeviceCertificate` returned it: look it up for revocation. */
  serial: string;
  spkiSha256: string;
  notBefore: Date;
  notAfter: Date;
  certificate: x509.X509Certificate;
}

export interface RefusedDeviceCertificate {
  ok: false;
  code: DeviceCertificateFailureCode;
  /** Human-readable; safe to log and to show an administrator. */
  reason: string;
}

export type DeviceCertificateVerification = VerifiedDeviceCertificate | RefusedDeviceCertificate;

export interface TrustAnchors {
  /** Our root CA: the only trust anchor. */
  root: CertificateInput;
  /** Our issuing intermediate(s); several while an old intermediate's leaves are still valid. */
  intermediate: CertificateInput | readonly CertificateInput[];
}

export interface VerifyDeviceCertificateInput {
  /** The client certificate (PEM, DER or parsed). */
  leaf: CertificateInput;
  /**
   * Certificates the client sent above its leaf. They are never trusted: the issuer must be one of the
   * configured intermediates, so a look-alike CA with the same names cannot stand in for ours.
   */
  presentedChain?: readonly CertificateInput[];
  trustAnchors: TrustAnchors;
  now: Date;
}

const CODES: Record<ConstraintProblem, DeviceCertificateFailureCode> = {
  expired: 'ERR_CERT_EXPIRED',
  'not-yet-valid': 'ERR_CERT_NOT_YET_VALID',
  'not-ca': 'ERR_CERT_NOT_CA',
  'path-length': 'ERR_CERT_PATH_LENGTH',
  'key-usage': 'ERR_CERT_KEY_USAGE',
  'not-end-entity': 'ERR_CERT_NOT_END_ENTITY',
  'extended-key-usage': 'ERR_CERT_EKU',
  'critical-extension': 'ERR_CERT_CRITICAL_EXTENSION',
};

const refuse = (code: DeviceCertificateFailureCode, reason: string): RefusedDeviceCertificate => ({
  ok: false,
  code,
  reason,
});
const fromViolation = (violation: ConstraintViolation): RefusedDeviceCertificate =>
  refuse(CODES[violation.problem], violation.reason);

/**
 * Verifies `leaf` → one of our intermediates → our root at `now`; returns the device id, serial and key
 * fingerprint, or a refusal with a stable code. Never throws for a bad certificate; does not consult
 * revocation.
 */
export async function verifyDeviceCertificateChain(
  input: VerifyDeviceCertificateInput,
): Promise<DeviceCertificateVerification> {
  const parsed = parseAll(input);
  if ('ok' in parsed) return parsed;
  try {
    return await verifyParsed(parsed.leaf, parsed.root, parsed.intermediates, input.now);
  } catch (cause) {
    // Extensions are decoded lazily: an undecodable one surfaces here rather than at parse time.
    return refuse('ERR_CERT_MALFORMED', `the device certificate could not be decoded: ${String(cause)}`);
  }
}

async function verifyParsed(
  leaf: x509.X509Certificate,
  root: x509.X509Certificate,
  intermediates: readonly x509.X509Certificate[],
  now: Date,
): Promise<DeviceCertificateVerification> {
  const issuer = await findIssuer(leaf, intermediates);
  if ('ok' in issuer) return issuer;
  if (!issuedBy(issuer, root) || !(await intermediateSignedByRoot(issuer, root))) {
    return refuse('ERR_CERT_UNTRUSTED_CHAIN', 'the intermediate CA is not signed by the Latchkey root CA');
  }
  const violation =
    checkValidity(leaf, now, 'device certificate') ??
    checkValidity(issuer, now, 'intermediate CA') ??
    checkValidity(root, now, 'root CA') ??
    checkIssuer(root, 'root CA', 1) ??
    checkIssuer(issuer, 'intermediate CA', 0) ??
    checkDeviceLeaf(leaf);
  if (violation) return fromViolation(violation);
  const deviceId = deviceIdOf(leaf);
  if (typeof deviceId !== 'string') return deviceId;
  return {
    ok: true,
    deviceId,
    serial: leaf.serialNumber,
    spkiSha256: await spkiSha256(leaf.publicKey),
    notBefore: leaf.notBefore,
    notAfter: leaf.notAfter,
    certificate: leaf,
  };
}

/**
 * Whether `root` signed `intermediate`, verified once per pair of parsed certificates: both are our own
 * CA's, parsed once per stored record, and the answer cannot change; verifying it on every device check
 * doubled the signature work of the check.
 */
const rootSignatures = new WeakMap<x509.X509Certificate, WeakMap<x509.X509Certificate, Promise<boolean>>>();

function intermediateSignedByRoot(intermediate: x509.X509Certificate, root: x509.X509Certificate): Promise<boolean> {
  let byRoot = rootSignatures.get(intermediate);
  if (!byRoot) rootSignatures.set(intermediate, (byRoot = new WeakMap()));
  let verified = byRoot.get(root);
  if (!verified) byRoot.set(root, (verified = signedBy(intermediate, root)));
  return verified;
}

/** Turns a refusal into an AuthenticationError (HTTP 401) for callers that prefer to throw. */
export function deviceCertificateError(refusal: RefusedDeviceCertificate): AuthenticationError {
  return new AuthenticationError(refusal.code, 'the device certificate was not accepted', { reason: refusal.reason });
}

function parseAll(
  input: VerifyDeviceCertificateInput,
):
  | { leaf: x509.X509Certificate; root: x509.X509Certificate; intermediates: x509.X509Certificate[] }
  | RefusedDeviceCertificate {
  let leaf: x509.X509Certificate;
  try {
    leaf = parseCertificate(input.leaf);
  } catch {
    return refuse('ERR_CERT_MALFORMED', 'the device certificate is not a valid X.509 certificate');
  }
  // The anchors are our own configuration: if they do not parse, that is a bug or corrupted storage.
  const root = parseCertificate(input.trustAnchors.root);
  const configured = input.trustAnchors.intermediate;
  const intermediates = (isList(configured) ? configured : [configured]).map((item) => parseCertificate(item));
  return { leaf, root, intermediates };
}

function isList(value: CertificateInput | readonly CertificateInput[]): value is readonly CertificateInput[] {
  return Array.isArray(value);
}

/** The configured intermediate whose key signed `leaf`; a name match with a failing signature is a forgery. */
async function findIssuer(
  leaf: x509.X509Certificate,
  intermediates: readonly x509.X509Certificate[],
): Promise<x509.X509Certificate | RefusedDeviceCertificate> {
  const named = intermediates.filter((candidate) => issuedBy(leaf, candidate));
  for (const candidate of named) {
    if (await signedBy(leaf, candidate)) return candidate;
  }
  if (named.length === 0) {
    return refuse(
      'ERR_CERT_UNTRUSTED_CHAIN',
      `the device certificate was not issued by the Latchkey device CA (issuer ${leaf.issuer})`,
    );
  }
  const ourKey = named.some((candidate) => sameKeyIdentifier(leaf, candidate));
  return ourKey
    ? refuse('ERR_CERT_SIGNATURE', 'the device certificate signature does not verify (altered certificate)')
    : refuse('ERR_CERT_UNTRUSTED_CHAIN', 'the device certificate names the Latchkey CA but was signed by another key');
}

function sameKeyIdentifier(leaf: x509.X509Certificate, issuer: x509.X509Certificate): boolean {
  const aki = leaf.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId;
  const ski = issuer.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  return aki !== undefined && aki === ski;
}

/** The single urn:latchkey:device:<id> SAN URI of `leaf`, or a refusal. */
function deviceIdOf(leaf: x509.X509Certificate): string | RefusedDeviceCertificate {
  const names = leaf.getExtension(x509.SubjectAlternativeNameExtension)?.names.items ?? [];
  const urns = names.filter((name) => name.type === 'url' && name.value.startsWith(DEVICE_URN_PREFIX));
  if (urns.length !== 1) {
    return refuse(
      'ERR_CERT_DEVICE_ID',
      `the device certificate must name exactly one ${DEVICE_URN_PREFIX}<id>, it names ${urns.length}`,
    );
  }
  const id = parseDeviceUrn(urns[0]!.value);
  return id ?? refuse('ERR_CERT_DEVICE_ID', 'the device certificate has a malformed device URN');
}
