// Building a signed pkiMessage: CMS SignedData over the content (the envelope, or nothing for a FAILURE),
// one signer named by issuer and serial, and the signed attributes CMS requires (contentType,
// messageDigest, signingTime) next to SCEP's own. The RA signs CertReps with it; requester.ts signs
// requests with it.
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { toArrayBuffer } from '../pem.js';
import type { x509 } from '../x509.js';
import { octets, oid, utcTime } from './attributes.js';
import { asPkijsCertificate, encodeContentInfo } from './content-info.js';
import { CMS } from './protocol.js';

/** Who signs: a certificate and the WebCrypto private key of its key pair (RSA or, for tests, ECDSA). */
export interface MessageSigner {
  certificate: x509.X509Certificate;
  privateKey: CryptoKey;
}

export interface SignMessageInput {
  signer: MessageSigner;
  /** The encapsulated content; null: none (detached; a FAILURE CertRep sends empty content instead). */
  content: Uint8Array | null;
  /** SCEP attributes (messageType, transactionID, nonces, status...). */
  attributes: readonly pkijs.Attribute[];
  /** Certificates sent after the signer's own (e.g. the CA chain). */
  extraCertificates?: readonly x509.X509Certificate[];
  hash?: 'SHA-256' | 'SHA-384' | 'SHA-512' | 'SHA-1';
  now: Date;
}

/** The DER ContentInfo of the signed pkiMessage. */
export async function signPkiMessage(input: SignMessageInput): Promise<Uint8Array> {
  const hash = input.hash ?? 'SHA-256';
  const content = input.content ?? new Uint8Array(0);
  const digest = new Uint8Array(await globalThis.crypto.subtle.digest(hash, toArrayBuffer(content)));
  const signer = asPkijsCertificate(input.signer.certificate);
  const signedData = new pkijs.SignedData({
    version: 1,
    encapContentInfo: new pkijs.EncapsulatedContentInfo({
      eContentType: CMS.data,
      ...(input.content ? { eContent: new asn1js.OctetString({ valueHex: toArrayBuffer(input.content) }) } : {}),
    }),
    certificates: [signer, ...(input.extraCertificates ?? []).map(asPkijsCertificate)],
    signerInfos: [
      new pkijs.SignerInfo({
        version: 1,
        sid: new pkijs.IssuerAndSerialNumber({ issuer: signer.issuer, serialNumber: signer.serialNumber }),
        signedAttrs: new pkijs.SignedAndUnsignedAttributes({
          type: 0,
          attributes: [
            oid(CMS.contentType, CMS.data),
            utcTime(CMS.signingTime, input.now),
            octets(CMS.messageDigest, digest),
            ...input.attributes,
          ],
        }),
      }),
    ],
  });
  await signedData.sign(input.signer.privateKey, 0, hash);
  return encodeContentInfo(CMS.signedData, signedData);
}
