// What a SCEP certificate request claims, as an MDM fills it: the challengePassword attribute, and who the
// device belongs to, by email (an rfc822Name SAN, or emailAddress in the subject) or by Microsoft UPN (an
// otherName SAN, 1.3.6.1.4.1.311.20.2.3). Only claims: the service decides what they are worth. The CSR's
// subject and extensions never reach the issued certificate (the profile decides what it says).
import { x509 } from '../x509.js';
import { CMS } from './protocol.js';

export interface CsrClaims {
  /** The challengePassword, or undefined when the request has none. */
  challenge: string | undefined;
  /** Lower-cased email addresses from SAN rfc822Name and the subject's emailAddress. */
  emails: string[];
  /** Lower-cased UPNs from SAN otherName. */
  upns: string[];
  /** The subject CN (often the device name an MDM fills in), or undefined. */
  commonName: string | undefined;
}

/** Longest value taken from a request; longer ones are ignored as claims rather than stored. */
const MAX_CLAIM_LENGTH = 255;

/** The claims of a parsed request. Never throws for a request that parsed: unreadable parts claim nothing. */
export function csrClaims(csr: x509.Pkcs10CertificateRequest): CsrClaims {
  const { emails, upns } = subjectAltNames(csr);
  const subjectEmails = safely(() => csr.subjectName.getField('E'), []);
  return {
    challenge: challengePassword(csr),
    emails: unique([...emails, ...subjectEmails].map(normalize).filter(printable)),
    upns: unique(upns.map(normalize).filter(printable)),
    commonName: safely(() => csr.subjectName.getField('CN'), []).find(printable),
  };
}

function challengePassword(csr: x509.Pkcs10CertificateRequest): string | undefined {
  const attribute = csr.getAttribute(CMS.challengePassword);
  if (!attribute) return undefined;
  return safely(() => new x509.ChallengePasswordAttribute(attribute.rawData).password, undefined);
}

function subjectAltNames(csr: x509.Pkcs10CertificateRequest): { emails: string[]; upns: string[] } {
  const extension = csr.getExtension('2.5.29.17');
  if (!extension) return { emails: [], upns: [] };
  // @peculiar/x509 throws on otherName types it does not know: such a SAN claims nothing.
  const names = safely(() => new x509.SubjectAlternativeNameExtension(extension.rawData).names.items, []);
  return {
    emails: names.filter((name) => name.type === 'email').map((name) => name.value),
    upns: names.filter((name) => name.type === 'upn').map((name) => name.value),
  };
}

function safely<T>(read: () => T, fallback: T): T {
  try {
    return read();
  } catch {
    return fallback;
  }
}

const normalize = (value: string) => value.trim().toLowerCase();
const printable = (value: string) => value.length > 0 && value.length <= MAX_CLAIM_LENGTH && !/\p{Cc}/u.test(value);
const unique = (values: string[]) => [...new Set(values)];
