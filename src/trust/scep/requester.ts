// The requester's half of SCEP, as an MDM-driven device does it: a self-signed certificate for a new key,
// a PKCSReq or RenewalReq (the CSR encrypted to the RA certificate, signed by the requester), and reading
// the CertRep (signature by the RA, nonces, status, the issued certificate). Latchkey itself only answers
// SCEP; this half drives the benchmark and the protocol tests, and keeps both halves honest.
import { createPrivateKey, randomBytes } from 'node:crypto';
import { randomSerial } from '../serial.js';
import { x509 } from '../x509.js';
import { octets, printable } from './attributes.js';
import { certificatesOf } from './certs-only.js';
import { type ContentAlgorithm, type EnvelopeRecipient, openEnvelope, sealEnvelope } from './envelope.js';
import { rejectionSecret } from './key-transport.js';
import { parsePkiMessage } from './pki-message.js';
import { failInfoName, type FailInfo, MESSAGE_TYPE, PKI_STATUS, SCEP_ATTRIBUTE } from './protocol.js';
import { type MessageSigner, signPkiMessage, type SignMessageInput } from './sign.js';
import { verifyPkiSignature } from './signature.js';

const RSA = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;

/** A requester's RSA key pair in both forms it needs: WebCrypto to sign, a KeyObject to open answers. */
export interface RequesterKey {
  keys: CryptoKeyPair;
  privateKeyPem: string;
}

/** A fresh RSA key for a requester (2048 bits unless told otherwise). */
export async function newRequesterKey(modulusLength = 2048): Promise<RequesterKey> {
  const keys = await globalThis.crypto.subtle.generateKey(
    { ...RSA, modulusLength, publicExponent: new Uint8Array([1, 0, 1]) },
    true,
    ['sign', 'verify'],
  );
  const pkcs8 = await globalThis.crypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { keys, privateKeyPem: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY') };
}

/** The self-signed certificate a requester signs its first request with (RFC 8894 §2.3). */
export async function selfSignedCertificate(
  keys: CryptoKeyPair,
  subject: string,
  now: Date,
): Promise<x509.X509Certificate> {
  return x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: subject,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + 86_400_000),
    keys,
    signingAlgorithm: RSA,
  });
}

/** A DER PKCS#10 request for `keys`, with an optional challengePassword and SAN names. */
export async function certificateRequest(input: {
  keys: CryptoKeyPair;
  subject: string;
  challenge?: string;
  names?: x509.JsonGeneralNames;
}): Promise<Uint8Array> {
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: input.subject,
    keys: input.keys,
    signingAlgorithm: input.keys.privateKey.algorithm.name === 'ECDSA' ? { name: 'ECDSA', hash: 'SHA-256' } : RSA,
    extensions: input.names ? [new x509.SubjectAlternativeNameExtension(input.names)] : [],
    attributes: input.challenge === undefined ? [] : [new x509.ChallengePasswordAttribute(input.challenge)],
  });
  return new Uint8Array(csr.rawData);
}

export interface PkiRequestInput {
  /** "PKCSReq", "RenewalReq", or a raw messageType value (tests send unsupported ones). */
  messageType: 'PKCSReq' | 'RenewalReq' | string;
  /** DER of the CSR to encrypt; or `envelope` to send prepared bytes instead. */
  csr?: Uint8Array;
  envelope?: Uint8Array;
  signer: MessageSigner;
  /** The RA certificate from GetCACert. */
  recipient?: x509.X509Certificate;
  algorithm?: ContentAlgorithm;
  transactionId?: string;
  senderNonce?: Uint8Array;
  hash?: SignMessageInput['hash'];
  now: Date;
}

/** A signed pkiMessage, with what the answer must echo. */
export interface PkiRequest {
  der: Uint8Array;
  transactionId: string;
  senderNonce: Uint8Array;
}

/** Builds a PKCSReq/RenewalReq: the CSR sealed for the RA, signed by `signer`. */
export async function buildPkiRequest(input: PkiRequestInput): Promise<PkiRequest> {
  const messageType = MESSAGE_TYPE[input.messageType as keyof typeof MESSAGE_TYPE] ?? input.messageType;
  const envelope = input.envelope ?? sealEnvelope(input.csr!, input.recipient!, input.algorithm ?? 'aes-256-cbc');
  const transactionId = input.transactionId ?? (await transactionIdFor(input.signer.certificate));
  const senderNonce = input.senderNonce ?? randomBytes(16);
  const der = await signPkiMessage({
    signer: input.signer,
    content: envelope,
    attributes: [
      printable(SCEP_ATTRIBUTE.messageType, messageType),
      printable(SCEP_ATTRIBUTE.transactionId, transactionId),
      octets(SCEP_ATTRIBUTE.senderNonce, senderNonce),
    ],
    hash: input.hash,
    now: input.now,
  });
  return { der, transactionId, senderNonce };
}

/** RFC 8894's suggestion: a hash of the requester's public key, hex. */
async function transactionIdFor(certificate: x509.X509Certificate): Promise<string> {
  return Buffer.from(await globalThis.crypto.subtle.digest('SHA-256', certificate.publicKey.rawData)).toString('hex');
}

export interface CertRepResult {
  status: 'SUCCESS' | 'FAILURE' | 'PENDING';
  failInfo?: FailInfo;
  failInfoText?: string;
  /** The issued certificate first (SUCCESS only). */
  certificates?: x509.X509Certificate[];
  transactionId: string;
  recipientNonce: Uint8Array | undefined;
  signer: x509.X509Certificate;
}

/**
 * Reads a CertRep: verifies the RA's signature (and that `ra` signed it, when given), that it answers
 * `request`, and opens the certificate for `requester`. Throws Error on any mismatch.
 */
export async function readCertRep(
  der: Uint8Array,
  expected: {
    request: PkiRequest;
    requester: { certificate: x509.X509Certificate; privateKeyPem: string };
    ra?: x509.X509Certificate;
  },
): Promise<CertRepResult> {
  const message = parsePkiMessage(der);
  await verifyPkiSignature(message, { minRsaBits: 2048, maxRsaBits: 8192 });
  if (expected.ra && !message.signer.equal(expected.ra)) throw new Error('the CertRep is not signed by the RA');
  if (message.messageType !== MESSAGE_TYPE.CertRep)
    throw new Error(`not a CertRep (messageType ${message.messageType})`);
  if (message.transactionId !== expected.request.transactionId)
    throw new Error('the CertRep answers another transaction');
  const nonce = message.recipientNonce;
  if (!nonce || !Buffer.from(nonce).equals(Buffer.from(expected.request.senderNonce))) {
    throw new Error('the CertRep recipientNonce is not our senderNonce');
  }
  const status = (Object.keys(PKI_STATUS) as Array<keyof typeof PKI_STATUS>).find(
    (name) => PKI_STATUS[name] === message.pkiStatus,
  );
  if (!status) throw new Error(`unknown pkiStatus ${message.pkiStatus}`);
  const result: CertRepResult = {
    status,
    transactionId: message.transactionId,
    recipientNonce: nonce,
    signer: message.signer,
    ...(message.failInfo !== undefined ? { failInfo: failInfoName(message.failInfo) } : {}),
    ...(message.failInfoText !== undefined ? { failInfoText: message.failInfoText } : {}),
  };
  if (status !== 'SUCCESS') return result;
  if (!message.content) throw new Error('a SUCCESS CertRep without a pkcsPKIEnvelope');
  const privateKey = createPrivateKey(expected.requester.privateKeyPem);
  const recipient: EnvelopeRecipient = {
    certificate: expected.requester.certificate,
    privateKey,
    rejectionSecret: rejectionSecret(privateKey),
  };
  const opened = openEnvelope(message.content, recipient);
  return { ...result, certificates: certificatesOf(opened.content) };
}
