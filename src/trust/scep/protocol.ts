// The vocabulary of SCEP (RFC 8894) in one place: the CMS and SCEP attribute OIDs, message types, pkiStatus
// and failInfo values, and the capabilities Latchkey advertises. Everything else in scep/ reads these.

/** CMS content types and attributes (RFC 5652, RFC 2985). */
export const CMS = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  envelopedData: '1.2.840.113549.1.7.3',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  challengePassword: '1.2.840.113549.1.9.7',
  emailAddress: '1.2.840.113549.1.9.1',
  rsaEncryption: '1.2.840.113549.1.1.1',
} as const;

/** SCEP's authenticated attributes (RFC 8894 §3.2.1). */
export const SCEP_ATTRIBUTE = {
  messageType: '2.16.840.1.113733.1.9.2',
  pkiStatus: '2.16.840.1.113733.1.9.3',
  failInfo: '2.16.840.1.113733.1.9.4',
  senderNonce: '2.16.840.1.113733.1.9.5',
  recipientNonce: '2.16.840.1.113733.1.9.6',
  transactionId: '2.16.840.1.113733.1.9.7',
  failInfoText: '1.3.6.1.5.5.7.24.1',
} as const;

/** messageType values, as the decimal strings they travel as. */
export const MESSAGE_TYPE = {
  CertRep: '3',
  RenewalReq: '17',
  UpdateReq: '18',
  PKCSReq: '19',
  CertPoll: '20',
  GetCert: '21',
  GetCRL: '22',
} as const;

export type MessageTypeName = keyof typeof MESSAGE_TYPE;

/** The name of a messageType value ("19" → "PKCSReq"), or undefined for an unknown one. */
export function messageTypeName(value: string): MessageTypeName | undefined {
  return (Object.keys(MESSAGE_TYPE) as MessageTypeName[]).find((name) => MESSAGE_TYPE[name] === value);
}

export const PKI_STATUS = { SUCCESS: '0', FAILURE: '2', PENDING: '3' } as const;
export type PkiStatusName = keyof typeof PKI_STATUS;

/** failInfo values (RFC 8894 §3.2.1.4): why a request failed. */
export const FAIL_INFO = { badAlg: '0', badMessageCheck: '1', badRequest: '2', badTime: '3', badCertId: '4' } as const;
export type FailInfo = keyof typeof FAIL_INFO;

/** The name of a failInfo value, or undefined for an unknown one. */
export function failInfoName(value: string): FailInfo | undefined {
  return (Object.keys(FAIL_INFO) as FailInfo[]).find((name) => FAIL_INFO[name] === value);
}

/**
 * What GetCACaps answers: exactly what Latchkey does. No PENDING (so no manual approval), no DES3, SHA-1 or
 * GetNextCACert. "SCEPStandard" promises AES, SHA-256 and POSTPKIOperation, which are listed too for
 * clients that predate it.
 */
export const CAPABILITIES = ['POSTPKIOperation', 'SHA-256', 'AES', 'SCEPStandard', 'Renewal'] as const;

/** The GetCACaps body: one capability per line. */
export function capabilitiesText(): string {
  return `${CAPABILITIES.join('\n')}\n`;
}
