// What the platform plans need to know about the device certificate, computed once from the agent state.
import { createHash } from 'node:crypto';
import { parseCertificate } from '../../trust/certificate-input.js';
import { autoSelectCertificatePolicy } from '../chrome-policy.js';

export interface CertificateFacts {
  /** SHA-1 of the leaf's DER, upper-case hex: how `security` and `certutil` name a certificate. */
  thumbprint: string;
  /** SHA-1 thumbprints of the certificates above the leaf (the intermediate first). */
  chainThumbprints: string[];
  /** DER of the certificates above the leaf, for the intermediate store. */
  chainDer: Uint8Array[];
  issuerCommonName: string;
  /** The device-check URL's origin, e.g. https://id.example.com:8444. */
  deviceCheckOrigin: string;
  /** The AutoSelectCertificateForUrls rule (JSON text) every Chromium-family browser gets. */
  autoSelectRule: string;
}

export function certificateFacts(input: {
  certificatePem: string;
  chainPem: readonly string[];
  deviceCheckUrl: string;
}): CertificateFacts {
  const leaf = parseCertificate(input.certificatePem);
  const chain = input.chainPem.map((pem) => parseCertificate(pem));
  const issuerCommonName = leaf.issuerName.getField('CN')[0] ?? '';
  const rule = autoSelectCertificatePolicy(input.deviceCheckUrl, issuerCommonName).AutoSelectCertificateForUrls[0]!;
  return {
    thumbprint: sha1(leaf.rawData),
    chainThumbprints: chain.map((certificate) => sha1(certificate.rawData)),
    chainDer: chain.map((certificate) => new Uint8Array(certificate.rawData)),
    issuerCommonName,
    deviceCheckOrigin: new URL(input.deviceCheckUrl).origin,
    autoSelectRule: rule,
  };
}

function sha1(der: ArrayBuffer): string {
  return createHash('sha1').update(Buffer.from(der)).digest('hex').toUpperCase();
}

/** A UUID derived from `seed` (SHA-256, RFC 4122 layout, version 8): the same device gets the same one. */
export function stableUuid(seed: string): string {
  const hex = createHash('sha256').update(seed).digest('hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`.toUpperCase();
}
