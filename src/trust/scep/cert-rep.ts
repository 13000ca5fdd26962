// The CertRep answer (RFC 8894 §3.3.2), signed by the RA: it echoes the request's transactionID, returns
// its senderNonce as recipientNonce with a fresh senderNonce of our own, and carries either SUCCESS with the
// issued certificate (certs-only, encrypted to the requester's signer certificate) or FAILURE with a
// failInfo and a failInfoText (RFC 8894 §3.2.1.4.5), and empty content: OpenSSL-based clients (certmonger)
// cannot verify a SignedData whose content is absent ("PKCS7 routines::no content"). Never PENDING.
import { randomBytes } from 'node:crypto';
import type { x509 } from '../x509.js';
import { octets, printable, utf8 } from './attributes.js';
import { certsOnly } from './certs-only.js';
import { type ContentAlgorithm, sealEnvelope } from './envelope.js';
import { FAIL_INFO, type FailInfo, MESSAGE_TYPE, PKI_STATUS, SCEP_ATTRIBUTE } from './protocol.js';
import { type MessageSigner, signPkiMessage } from './sign.js';

/** What a CertRep answers: the request's transactionID and senderNonce. */
export interface RequestEcho {
  transactionId: string;
  senderNonce: Uint8Array;
}

export type CertRepOutcome =
  | {
      status: 'SUCCESS';
      /** The issued certificate, then the certificates above it. */
      certificates: readonly x509.X509Certificate[];
      /** The requester's signer certificate: the envelope is encrypted to it. */
      recipient: x509.X509Certificate;
      algorithm: ContentAlgorithm;
    }
  | { status: 'FAILURE'; failInfo: FailInfo; text: string };

/** failInfoText is for people; it is bounded so a long internal message never bloats an answer. */
const MAX_FAIL_TEXT = 512;

/** The DER CertRep for `request` with `outcome`, signed by `ra` (its chain in `chain`). */
export async function buildCertRep(input: {
  ra: MessageSigner;
  chain: readonly x509.X509Certificate[];
  request: RequestEcho;
  outcome: CertRepOutcome;
  now: Date;
}): Promise<Uint8Array> {
  const { outcome, request } = input;
  const attributes = [
    printable(SCEP_ATTRIBUTE.messageType, MESSAGE_TYPE.CertRep),
    printable(SCEP_ATTRIBUTE.transactionId, request.transactionId),
    printable(SCEP_ATTRIBUTE.pkiStatus, PKI_STATUS[outcome.status]),
    octets(SCEP_ATTRIBUTE.senderNonce, randomBytes(16)),
    octets(SCEP_ATTRIBUTE.recipientNonce, request.senderNonce),
  ];
  let content: Uint8Array = new Uint8Array(0);
  if (outcome.status === 'SUCCESS') {
    content = sealEnvelope(certsOnly(outcome.certificates), outcome.recipient, outcome.algorithm);
  } else {
    attributes.push(
      printable(SCEP_ATTRIBUTE.failInfo, FAIL_INFO[outcome.failInfo]),
      utf8(SCEP_ATTRIBUTE.failInfoText, outcome.text.slice(0, MAX_FAIL_TEXT)),
    );
  }
  return signPkiMessage({ signer: input.ra, content, attributes, extraCertificates: input.chain, now: input.now });
}
