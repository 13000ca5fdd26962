// Parsing a SCEP pkiMessage (RFC 8894 §3): a CMS SignedData with exactly one signer, whose certificate
// travels in the message, and whose signed attributes carry transactionID, messageType and senderNonce
// (plus pkiStatus, failInfo and recipientNonce in a CertRep). Parsing checks structure only: the
// signature is verified by signature.ts, the envelope opened by envelope.ts. Anything unreadable is a
// ScepMessageError (HTTP 400), so nothing half-parsed reaches a decision.
import * as pkijs from 'pkijs';
import { x509 } from '../x509.js';
import { AttributeProblem, octetsAttribute, stringAttribute, timeAttribute } from './attributes.js';
import { ContentInfoProblem, readContentInfo, remember as rememberPkijs } from './content-info.js';
import { ScepMessageError } from './errors.js';
import { CMS, SCEP_ATTRIBUTE } from './protocol.js';

/** More certificates than a client has reason to send (its own, perhaps a chain): refuse, bound the work. */
const MAX_CERTIFICATES = 10;
/** RFC 8894 nonces are 16 bytes; accept a little either way, never an empty or huge one. */
const NONCE_BYTES = { min: 8, max: 64 };
const MAX_TRANSACTION_ID_LENGTH = 128;

/** A pkiMessage as read from the wire, not yet verified. */
export interface PkiMessage {
  /** The messageType value ("19" PKCSReq, "17" RenewalReq, "3" CertRep, ...). */
  messageType: string;
  transactionId: string;
  senderNonce: Uint8Array;
  /** Present in a CertRep. */
  recipientNonce: Uint8Array | undefined;
  /** pkiStatus, failInfo and failInfoText: present in a CertRep. */
  pkiStatus: string | undefined;
  failInfo: string | undefined;
  failInfoText: string | undefined;
  /** The signer's signingTime, when it sent one. */
  signingTime: Date | undefined;
  /** The certificate whose key signed the message: self-signed for a new key, the current one to renew. */
  signer: x509.X509Certificate;
  /** OID of the signer's digest algorithm. */
  digestAlgorithm: string;
  /** The encapsulated content (the DER pkcsPKIEnvelope), or null when the message carries none. */
  content: Uint8Array | null;
  /** The parsed SignedData, for signature verification. */
  signedData: pkijs.SignedData;
}

/** Parses `der` as a pkiMessage; throws ScepMessageError (ERR_SCEP_MALFORMED, _NOT_SIGNED, _ATTRIBUTE). */
export function parsePkiMessage(der: Uint8Array): PkiMessage {
  const signedData = readSignedData(der);
  if (signedData.signerInfos.length !== 1) {
    throw new ScepMessageError(
      'ERR_SCEP_NOT_SIGNED',
      `the pkiMessage has ${signedData.signerInfos.length} signers, expected exactly one`,
    );
  }
  if ((signedData.certificates?.length ?? 0) > MAX_CERTIFICATES) {
    throw new ScepMessageError(
      'ERR_SCEP_MALFORMED',
      `the pkiMessage carries more than ${MAX_CERTIFICATES} certificates`,
    );
  }
  const signerInfo = signedData.signerInfos[0]!;
  const attributes = signerInfo.signedAttrs?.attributes;
  if (!attributes) throw new ScepMessageError('ERR_SCEP_ATTRIBUTE', 'the pkiMessage has no signed attributes');
  return {
    ...readAttributes(attributes),
    signer: signerCertificate(signedData, signerInfo),
    digestAlgorithm: signerInfo.digestAlgorithm.algorithmId,
    content: encapsulatedContent(signedData),
    signedData,
  };
}

function readSignedData(der: Uint8Array): pkijs.SignedData {
  let info: pkijs.ContentInfo;
  try {
    info = readContentInfo(der, CMS.signedData, 'pkiMessage');
  } catch (problem) {
    if (!(problem instanceof ContentInfoProblem)) throw problem;
    throw new ScepMessageError(
      problem.kind === 'wrong-type' ? 'ERR_SCEP_NOT_SIGNED' : 'ERR_SCEP_MALFORMED',
      problem.message,
    );
  }
  try {
    return new pkijs.SignedData({ schema: info.content });
  } catch {
    throw new ScepMessageError('ERR_SCEP_MALFORMED', 'the pkiMessage SignedData is malformed');
  }
}

type Attributes = Pick<
  PkiMessage,
  | 'messageType'
  | 'transactionId'
  | 'senderNonce'
  | 'recipientNonce'
  | 'pkiStatus'
  | 'failInfo'
  | 'failInfoText'
  | 'signingTime'
>;

function readAttributes(attributes: readonly pkijs.Attribute[]): Attributes {
  try {
    const messageType = stringAttribute(attributes, SCEP_ATTRIBUTE.messageType, 'messageType');
    const transactionId = stringAttribute(attributes, SCEP_ATTRIBUTE.transactionId, 'transactionID');
    const senderNonce = octetsAttribute(attributes, SCEP_ATTRIBUTE.senderNonce, 'senderNonce');
    if (messageType === undefined) throw new AttributeProblem('the pkiMessage has no messageType attribute');
    if (transactionId === undefined) throw new AttributeProblem('the pkiMessage has no transactionID attribute');
    if (senderNonce === undefined) throw new AttributeProblem('the pkiMessage has no senderNonce attribute');
    if (!/^\d{1,3}$/.test(messageType)) throw new AttributeProblem('messageType must be a decimal number');
    if (transactionId.length === 0 || transactionId.length > MAX_TRANSACTION_ID_LENGTH) {
      throw new AttributeProblem(`transactionID must be 1 to ${MAX_TRANSACTION_ID_LENGTH} characters`);
    }
    if (/\p{Cc}/u.test(transactionId)) throw new AttributeProblem('transactionID must not contain control characters');
    if (senderNonce.length < NONCE_BYTES.min || senderNonce.length > NONCE_BYTES.max) {
      throw new AttributeProblem(
        `senderNonce must be ${NONCE_BYTES.min} to ${NONCE_BYTES.max} bytes, not ${senderNonce.length}`,
      );
    }
    return {
      messageType,
      transactionId,
      senderNonce,
      recipientNonce: octetsAttribute(attributes, SCEP_ATTRIBUTE.recipientNonce, 'recipientNonce'),
      pkiStatus: stringAttribute(attributes, SCEP_ATTRIBUTE.pkiStatus, 'pkiStatus'),
      failInfo: stringAttribute(attributes, SCEP_ATTRIBUTE.failInfo, 'failInfo'),
      failInfoText: stringAttribute(attributes, SCEP_ATTRIBUTE.failInfoText, 'failInfoText'),
      signingTime: timeAttribute(attributes, CMS.signingTime, 'signingTime'),
    };
  } catch (problem) {
    if (!(problem instanceof AttributeProblem)) throw problem;
    throw new ScepMessageError('ERR_SCEP_ATTRIBUTE', problem.message);
  }
}

/** The certificate named by the signer's sid (issuer and serial, or subject key identifier). */
function signerCertificate(signedData: pkijs.SignedData, signerInfo: pkijs.SignerInfo): x509.X509Certificate {
  const certificates = (signedData.certificates ?? []).filter(
    (item): item is pkijs.Certificate => item instanceof pkijs.Certificate,
  );
  const { sid } = signerInfo;
  const match = certificates.find((certificate) =>
    sid instanceof pkijs.IssuerAndSerialNumber
      ? certificate.issuer.isEqual(sid.issuer) && certificate.serialNumber.isEqual(sid.serialNumber)
      : subjectKeyIdentifierMatches(certificate, sid),
  );
  if (!match) {
    throw new ScepMessageError('ERR_SCEP_NOT_SIGNED', "the signer's certificate is not in the pkiMessage");
  }
  try {
    // The answer is encrypted to this certificate: keep pkijs's parse of it for that.
    const certificate = new x509.X509Certificate(match.toSchema().toBER(false));
    rememberPkijs(certificate, match);
    return certificate;
  } catch {
    throw new ScepMessageError('ERR_SCEP_MALFORMED', "the signer's certificate is not a valid X.509 certificate");
  }
}

function subjectKeyIdentifierMatches(certificate: pkijs.Certificate, sid: unknown): boolean {
  const wanted = (sid as { valueBlock?: { valueHexView?: Uint8Array } }).valueBlock?.valueHexView;
  const ski = certificate.extensions?.find((extension) => extension.extnID === '2.5.29.14');
  const have = (ski?.parsedValue as { valueBlock?: { valueHexView?: Uint8Array } } | undefined)?.valueBlock
    ?.valueHexView;
  return !!wanted && !!have && Buffer.from(wanted).equals(Buffer.from(have));
}

function encapsulatedContent(signedData: pkijs.SignedData): Uint8Array | null {
  const { encapContentInfo } = signedData;
  if (encapContentInfo.eContentType !== CMS.data) {
    throw new ScepMessageError('ERR_SCEP_MALFORMED', 'the pkiMessage must encapsulate CMS Data');
  }
  const content = encapContentInfo.eContent;
  if (!content) return null;
  return new Uint8Array(content.getValue());
}
