// "Degenerate" certificates-only CMS SignedData (RFC 8894 §3.4): no content, no signers, just certificates.
// GetCACert answers the RA and CA certificates this way, and a successful CertRep carries the issued
// certificate this way inside its envelope.
import * as pkijs from 'pkijs';
import { x509 } from '../x509.js';
import { asPkijsCertificate, ContentInfoProblem, encodeContentInfo, readContentInfo } from './content-info.js';
import { CMS } from './protocol.js';

/** DER ContentInfo of a certs-only SignedData holding `certificates` in order. */
export function certsOnly(certificates: readonly x509.X509Certificate[]): Uint8Array {
  const signedData = new pkijs.SignedData({
    version: 1,
    encapContentInfo: new pkijs.EncapsulatedContentInfo({ eContentType: CMS.data }),
    certificates: certificates.map(asPkijsCertificate),
    signerInfos: [],
  });
  return encodeContentInfo(CMS.signedData, signedData);
}

/** The certificates of a certs-only SignedData, in order; throws TypeError when `der` is not one. */
export function certificatesOf(der: Uint8Array): x509.X509Certificate[] {
  let info: pkijs.ContentInfo;
  try {
    info = readContentInfo(der, CMS.signedData, 'certificates-only message');
  } catch (problem) {
    throw new TypeError(problem instanceof ContentInfoProblem ? problem.message : String(problem));
  }
  const signedData = new pkijs.SignedData({ schema: info.content });
  return (signedData.certificates ?? [])
    .filter((item): item is pkijs.Certificate => item instanceof pkijs.Certificate)
    .map((certificate) => new x509.X509Certificate(certificate.toSchema().toBER(false)));
}
