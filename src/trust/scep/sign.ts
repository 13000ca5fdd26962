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

/**
 * The encapsulated content as one primitive OCTET STRING, even an empty one. pkijs's constructor would
 * chunk it into a constructed OCTET STRING (BER), which Go's parser (micromdm's scepclient) refuses as
 * "sequence truncated", and its toSchema drops an empty one, which OpenSSL (certmonger) refuses as "no
 * content". Absent content (null) stays absent.
 */
class PrimitiveContentInfo extends pkijs.EncapsulatedContentInfo {
  override toSchema(): asn1js.Sequence {
    if (!this.eContent) return super.toSchema();
    const content = new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 0 }, value: [this.eContent] });
    return new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: this.eContentType }), content] });
  }
}

function encapsulated(content: Uint8Array | null): pkijs.EncapsulatedContentInfo {
  const info = new PrimitiveContentInfo({ eContentType: CMS.data });
  if (content) info.eContent = new asn1js.OctetString({ valueHex: toArrayBuffer(content) });
  return info;
}

/**
 * Signed attributes in DER order (a SET OF sorts its elements by their encodings, X.690 §11.6). The
 * signature covers their DER encoding: verifiers that re-encode them (Go's) fail on any other order.
 */
function derOrder(attributes: readonly pkijs.Attribute[]): pkijs.Attribute[] {
  const encoded = attributes.map((attribute) => ({ attribute, der: new Uint8Array(attribute.toSchema().toBER()) }));
  encoded.sort((a, b) => compareOctets(a.der, b.der));
  return encoded.map(({ attribute }) => attribute);
}

/** X.690 §11.6: octet strings compared with the shorter padded with zero octets at its end. */
function compareOctets(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const difference = (a[i] ?? 0) - (b[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

/** The DER ContentInfo of the signed pkiMessage. */
export async function signPkiMessage(input: SignMessageInput): Promise<Uint8Array> {
  const hash = input.hash ?? 'SHA-256';
  const content = input.content ?? new Uint8Array(0);
  const digest = new Uint8Array(await globalThis.crypto.subtle.digest(hash, toArrayBuffer(content)));
  const signer = asPkijsCertificate(input.signer.certificate);
  const signedData = new pkijs.SignedData({
    version: 1,
    encapContentInfo: encapsulated(input.content),
    certificates: [signer, ...(input.extraCertificates ?? []).map(asPkijsCertificate)],
    signerInfos: [
      new pkijs.SignerInfo({
        version: 1,
        sid: new pkijs.IssuerAndSerialNumber({ issuer: signer.issuer, serialNumber: signer.serialNumber }),
        signedAttrs: new pkijs.SignedAndUnsignedAttributes({
          type: 0,
          attributes: derOrder([
            oid(CMS.contentType, CMS.data),
            utcTime(CMS.signingTime, input.now),
            octets(CMS.messageDigest, digest),
            ...input.attributes,
          ]),
        }),
      }),
    ],
  });
  await signedData.sign(input.signer.privateKey, 0, hash);
  return encodeContentInfo(CMS.signedData, signedData);
}
