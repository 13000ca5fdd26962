// The pkcsPKIEnvelope (RFC 8894 §3.2.2): CMS EnvelopedData with one KeyTransRecipientInfo (RSAES-PKCS1-v1_5,
// key-transport.ts) and AES-CBC content. Opening it checks that it is addressed to our RA certificate and
// uses an algorithm we advertise; every failure to decrypt is the same refusal, so the answer never says
// whether the padding of the key or of the content was wrong (no oracle). Sealing builds the same
// structure for the requester's certificate.
import { createCipheriv, createDecipheriv, createPublicKey, randomBytes } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { toArrayBuffer } from '../pem.js';
import type { x509 } from '../x509.js';
import { asPkijsCertificate, ContentInfoProblem, encodeContentInfo, readContentInfo } from './content-info.js';
import { ScepRefusalError } from './errors.js';
import { decryptContentKey, encryptContentKey, type KeyTransportKey } from './key-transport.js';
import { CMS } from './protocol.js';

/** The content ciphers Latchkey accepts and answers with ("AES" in GetCACaps). */
export type ContentAlgorithm = 'aes-128-cbc' | 'aes-192-cbc' | 'aes-256-cbc';

const CONTENT_ALGORITHMS: Record<string, { name: ContentAlgorithm; keyLength: number }> = {
  '2.16.840.1.101.3.4.1.2': { name: 'aes-128-cbc', keyLength: 16 },
  '2.16.840.1.101.3.4.1.22': { name: 'aes-192-cbc', keyLength: 24 },
  '2.16.840.1.101.3.4.1.42': { name: 'aes-256-cbc', keyLength: 32 },
};
const REFUSED_CIPHERS: Record<string, string> = {
  '1.2.840.113549.3.7': 'DES3 (des-ede3-cbc)',
  '1.3.14.3.2.7': 'DES (des-cbc)',
  '1.2.840.113549.3.2': 'RC2',
};
const OID_OF = Object.fromEntries(Object.entries(CONTENT_ALGORITHMS).map(([oid, { name }]) => [name, oid])) as Record<
  ContentAlgorithm,
  string
>;

/** A recipient that can open envelopes: its certificate (to recognise its name) and its RSA key. */
export interface EnvelopeRecipient extends KeyTransportKey {
  certificate: x509.X509Certificate;
}

export interface OpenedEnvelope {
  content: Uint8Array;
  /** The requester's cipher, used again for the answer. */
  algorithm: ContentAlgorithm;
}

const undecryptable = (stage: string) =>
  new ScepRefusalError(
    'ERR_SCEP_DECRYPT',
    'badMessageCheck',
    'the pkcsPKIEnvelope could not be decrypted to a certificate request',
    { stage },
  );

/** Opens `der` for `recipient`; throws ScepRefusalError (ERR_SCEP_ENVELOPE, _RECIPIENT, _*_ALGORITHM, _DECRYPT). */
export function openEnvelope(der: Uint8Array, recipient: EnvelopeRecipient): OpenedEnvelope {
  const enveloped = readEnvelopedData(der);
  const info = recipientInfoFor(enveloped, recipient.certificate);
  if (info.keyEncryptionAlgorithm.algorithmId !== CMS.rsaEncryption) {
    throw new ScepRefusalError(
      'ERR_SCEP_KEY_ENCRYPTION_ALGORITHM',
      'badAlg',
      `key encryption ${info.keyEncryptionAlgorithm.algorithmId} is not supported (use rsaEncryption)`,
    );
  }
  const { contentEncryptionAlgorithm } = enveloped.encryptedContentInfo;
  const algorithm = CONTENT_ALGORITHMS[contentEncryptionAlgorithm.algorithmId];
  if (!algorithm) {
    const name = REFUSED_CIPHERS[contentEncryptionAlgorithm.algorithmId] ?? contentEncryptionAlgorithm.algorithmId;
    throw new ScepRefusalError('ERR_SCEP_CONTENT_ALGORITHM', 'badAlg', `the cipher ${name} is not accepted (use AES)`);
  }
  const iv = contentEncryptionAlgorithm.algorithmParams;
  if (!(iv instanceof asn1js.OctetString) || iv.getValue().byteLength !== 16) {
    throw new ScepRefusalError('ERR_SCEP_ENVELOPE', 'badMessageCheck', 'the AES-CBC parameters must be a 16-byte IV');
  }
  const contentKey = decryptContentKey(new Uint8Array(info.encryptedKey.getValue()), recipient, algorithm.keyLength);
  let encrypted: ArrayBuffer;
  try {
    encrypted = enveloped.encryptedContentInfo.getEncryptedContent();
  } catch {
    throw new ScepRefusalError('ERR_SCEP_ENVELOPE', 'badMessageCheck', 'the pkcsPKIEnvelope has no encrypted content');
  }
  try {
    const decipher = createDecipheriv(algorithm.name, contentKey, new Uint8Array(iv.getValue()));
    const content = Buffer.concat([decipher.update(new Uint8Array(encrypted)), decipher.final()]);
    return { content: new Uint8Array(content), algorithm: algorithm.name };
  } catch {
    throw undecryptable('content');
  }
}

/** The refusal for content that decrypted but is no certificate request: the same as a failed decryption. */
export function undecryptableRequest(): ScepRefusalError {
  return undecryptable('csr');
}

/** Encrypts `content` for `recipientCertificate` (RSA) with `algorithm`; returns the DER ContentInfo. */
export function sealEnvelope(
  content: Uint8Array,
  recipientCertificate: x509.X509Certificate,
  algorithm: ContentAlgorithm,
): Uint8Array {
  const contentKey = randomBytes(CONTENT_ALGORITHMS[OID_OF[algorithm]]!.keyLength);
  const iv = randomBytes(16);
  const cipher = createCipheriv(algorithm, contentKey, iv);
  const encrypted = Buffer.concat([cipher.update(content), cipher.final()]);
  return envelopedData({ recipientCertificate, contentKey, cipherOid: OID_OF[algorithm], iv, encrypted });
}

/**
 * The DER ContentInfo of an EnvelopedData: `contentKey` encrypted to `recipientCertificate` (RSAES-PKCS1-v1_5,
 * named by issuer and serial), and content already encrypted with cipher `cipherOid` and `iv`.
 */
export function envelopedData(input: {
  recipientCertificate: x509.X509Certificate;
  contentKey: Uint8Array;
  cipherOid: string;
  iv: Uint8Array;
  encrypted: Uint8Array;
}): Uint8Array {
  const publicKey = createPublicKey({
    key: Buffer.from(input.recipientCertificate.publicKey.rawData),
    format: 'der',
    type: 'spki',
  });
  const recipient = asPkijsCertificate(input.recipientCertificate);
  const enveloped = new pkijs.EnvelopedData({
    version: 0,
    recipientInfos: [
      new pkijs.RecipientInfo({
        variant: 1,
        value: new pkijs.KeyTransRecipientInfo({
          version: 0,
          rid: new pkijs.IssuerAndSerialNumber({ issuer: recipient.issuer, serialNumber: recipient.serialNumber }),
          keyEncryptionAlgorithm: new pkijs.AlgorithmIdentifier({
            algorithmId: CMS.rsaEncryption,
            algorithmParams: new asn1js.Null(),
          }),
          encryptedKey: new asn1js.OctetString({
            valueHex: toArrayBuffer(encryptContentKey(input.contentKey, publicKey)),
          }),
        }),
      }),
    ],
    encryptedContentInfo: new pkijs.EncryptedContentInfo({
      contentType: CMS.data,
      contentEncryptionAlgorithm: new pkijs.AlgorithmIdentifier({
        algorithmId: input.cipherOid,
        algorithmParams: new asn1js.OctetString({ valueHex: toArrayBuffer(input.iv) }),
      }),
      encryptedContent: new asn1js.OctetString({ valueHex: toArrayBuffer(input.encrypted) }),
      // One primitive OCTET STRING keeps the envelope DER (pkijs would otherwise chunk it, BER-style).
      disableSplit: true,
    }),
  });
  return encodeContentInfo(CMS.envelopedData, enveloped);
}

function readEnvelopedData(der: Uint8Array): pkijs.EnvelopedData {
  try {
    return new pkijs.EnvelopedData({ schema: readContentInfo(der, CMS.envelopedData, 'pkcsPKIEnvelope').content });
  } catch (problem) {
    const message = problem instanceof ContentInfoProblem ? problem.message : 'the pkcsPKIEnvelope is malformed';
    throw new ScepRefusalError('ERR_SCEP_ENVELOPE', 'badMessageCheck', message);
  }
}

/** The key-transport recipient naming `certificate` (by issuer and serial, or subject key identifier). */
function recipientInfoFor(
  enveloped: pkijs.EnvelopedData,
  certificate: x509.X509Certificate,
): pkijs.KeyTransRecipientInfo {
  const ours = asPkijsCertificate(certificate);
  const ski = subjectKeyIdentifier(ours);
  for (const info of enveloped.recipientInfos) {
    if (info.variant !== 1 || !(info.value instanceof pkijs.KeyTransRecipientInfo)) continue;
    const { rid } = info.value;
    const named =
      rid instanceof pkijs.IssuerAndSerialNumber
        ? rid.issuer.isEqual(ours.issuer) && rid.serialNumber.isEqual(ours.serialNumber)
        : rid instanceof asn1js.OctetString && !!ski && Buffer.from(rid.getValue()).equals(ski);
    if (named) return info.value;
  }
  throw new ScepRefusalError(
    'ERR_SCEP_RECIPIENT',
    'badCertId',
    'the pkcsPKIEnvelope is not encrypted to the RA certificate (fetch it again with GetCACert)',
  );
}

function subjectKeyIdentifier(certificate: pkijs.Certificate): Buffer | undefined {
  const extension = certificate.extensions?.find((candidate) => candidate.extnID === '2.5.29.14');
  const value = extension?.parsedValue;
  return value instanceof asn1js.OctetString ? Buffer.from(value.getValue()) : undefined;
}
