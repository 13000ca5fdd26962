// Issues device certificates from the intermediate: the leaf profile of flows 3 and 4 in DESIGN.md. The
// caller has already verified the CSR (csr.ts) and authorised the device; this only applies constraints
// and signs. The subject CN carries the first 8 hex digits of the serial, so two leaves never share a name.
import { toPem } from '../pem.js';
import { CLOCK_SKEW_MS, DEFAULT_DEVICE_LIFETIME_DAYS, deviceCertificateCommonName, deviceUrn } from '../profile.js';
import { normalizeSerial, randomSerial } from '../serial.js';
import { spkiSha256 } from '../digest.js';
import { checkValidity } from '../constraints.js';
import { CaError, TrustParameterError } from '../errors.js';
import { x509 } from '../x509.js';
import type { IssuingCa } from './authority.js';
import { authorityKeyIdentifier } from './create.js';
import { x509SigningParams } from './signer.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface IssueDeviceCertificateInput {
  ca: IssuingCa;
  /** The device's public key, usually `parseAndVerifyCsr(...).publicKey`. */
  publicKey: x509.PublicKey | CryptoKey;
  /** Device id (URN-safe token); becomes the SAN URI urn:latchkey:device:<id>. */
  deviceId: string;
  now: Date;
  /** Days from `now` to notAfter (default 30; capped at the intermediate's own expiry). */
  lifetimeDays?: number;
  /** URL of the CRL (GET /device/crl), written into the CRL distribution point. */
  crlUrl: string;
  /** Serial in hex; default a fresh random 128-bit positive serial. */
  serial?: string;
}

/** A signed device certificate and the facts the caller stores in device_certificates. */
export interface IssuedDeviceCertificate {
  certificate: x509.X509Certificate;
  /** PEM of the leaf. */
  certificatePem: string;
  /** PEM of the certificates a client presents above the leaf: [intermediate]. */
  chainPem: string[];
  /** Lowercase hex serial, as stored and as `verifyDeviceCertificateChain` returns it. */
  serial: string;
  spkiSha256: string;
  notBefore: Date;
  notAfter: Date;
}

/**
 * Issues a device certificate: CN "Latchkey Device Trust Certificate – <first 8 hex of the serial>",
 * SAN URI urn:latchkey:device:<id>, EKU clientAuth, KU digitalSignature (critical), CA:false (critical),
 * SKI/AKI, CRL distribution point; notBefore 5 minutes before `now`, notAfter `now + lifetimeDays`.
 */
export async function issueDeviceCertificate(input: IssueDeviceCertificateInput): Promise<IssuedDeviceCertificate> {
  const { ca, now } = input;
  const caProblem = checkValidity(ca.intermediate, now, 'intermediate CA');
  if (caProblem)
    throw new CaError(caProblem.problem === 'expired' ? 'ERR_CA_EXPIRED' : 'ERR_CA_NOT_YET_VALID', caProblem.reason);
  const serial = input.serial === undefined ? randomSerial() : normalizeSerial(input.serial);
  const publicKey = await x509.PublicKey.create(input.publicKey);
  const requestedEnd = new Date(now.getTime() + lifetimeDays(input.lifetimeDays) * DAY_MS);
  const signing = x509SigningParams(ca.signer);
  const certificate = await x509.X509CertificateGenerator.create(
    {
      serialNumber: serial,
      subject: new x509.Name([{ CN: [deviceCertificateCommonName(serial)] }]),
      issuer: ca.intermediate.subjectName,
      notBefore: new Date(now.getTime() - CLOCK_SKEW_MS),
      notAfter: requestedEnd < ca.intermediate.notAfter ? requestedEnd : ca.intermediate.notAfter,
      publicKey,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
        new x509.SubjectAlternativeNameExtension([{ type: 'url', value: deviceUrn(input.deviceId) }]),
        await x509.SubjectKeyIdentifierExtension.create(publicKey),
        await authorityKeyIdentifier(ca.intermediate),
        new x509.CRLDistributionPointsExtension([crlUrl(input.crlUrl)]),
      ],
      ...signing.params,
    },
    signing.crypto,
  );
  return {
    certificate,
    certificatePem: toPem(certificate.rawData, 'CERTIFICATE'),
    chainPem: [toPem(ca.intermediate.rawData, 'CERTIFICATE')],
    serial: certificate.serialNumber,
    spkiSha256: await spkiSha256(publicKey),
    notBefore: certificate.notBefore,
    notAfter: certificate.notAfter,
  };
}

function lifetimeDays(days: number | undefined): number {
  const value = days ?? DEFAULT_DEVICE_LIFETIME_DAYS;
  if (!Number.isFinite(value) || value <= 0 || value > 398) {
    throw new TrustParameterError('device certificate lifetime must be between 0 and 398 days', { days: value });
  }
  return value;
}

function crlUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TrustParameterError('CRL URL is not a URL', { url });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new TrustParameterError('CRL URL must be http or https', { url });
  }
  return parsed.href;
}
