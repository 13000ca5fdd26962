// Decoding a CMS ContentInfo strictly: the bytes must be exactly one BER element (nothing truncated,
// nothing trailing) of the content type the caller expects. Callers turn the problem into their own error
// (HTTP 400 for the outer message, a CertRep FAILURE for the envelope inside it).
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { toArrayBuffer } from '../pem.js';
import type { x509 } from '../x509.js';
import { CMS } from './protocol.js';

const CONTENT_TYPE_NAMES: Record<string, string> = {
  [CMS.data]: 'Data',
  [CMS.signedData]: 'SignedData',
  [CMS.envelopedData]: 'EnvelopedData',
  '1.2.840.113549.1.7.5': 'DigestedData',
  '1.2.840.113549.1.7.6': 'EncryptedData',
  '1.2.840.113549.1.9.16.1.2': 'AuthenticatedData',
};

/** Why bytes are not the ContentInfo expected: "truncated", "not-cms" or "wrong-type", with words. */
export class ContentInfoProblem extends Error {
  constructor(
    readonly kind: 'truncated' | 'not-cms' | 'wrong-type',
    message: string,
  ) {
    super(message);
  }
}

/** One BER element spanning all of `bytes`; throws ContentInfoProblem('truncated' | 'not-cms'). */
export function decodeExactly(bytes: Uint8Array, what: string): asn1js.AsnType {
  if (bytes.byteLength === 0) throw new ContentInfoProblem('not-cms', `the ${what} is empty`);
  const decoded = asn1js.fromBER(toArrayBuffer(bytes));
  if (decoded.offset === -1) {
    const reason = decoded.result.error || 'not BER/DER';
    const truncated = /end of input|too short|length/i.test(reason);
    throw new ContentInfoProblem(
      truncated ? 'truncated' : 'not-cms',
      truncated ? `the ${what} is truncated (${reason})` : `the ${what} is not DER: ${reason}`,
    );
  }
  if (decoded.offset !== bytes.byteLength) {
    throw new ContentInfoProblem('not-cms', `the ${what} has ${bytes.byteLength - decoded.offset} bytes after its end`);
  }
  return decoded.result;
}

/** The ContentInfo in `bytes` and its content, which must be of `expectedType`. */
export function readContentInfo(bytes: Uint8Array, expectedType: string, what: string): pkijs.ContentInfo {
  const element = decodeExactly(bytes, what);
  let info: pkijs.ContentInfo;
  try {
    info = new pkijs.ContentInfo({ schema: element });
  } catch {
    throw new ContentInfoProblem('not-cms', `the ${what} is not a CMS ContentInfo`);
  }
  if (info.contentType !== expectedType) {
    const got = CONTENT_TYPE_NAMES[info.contentType] ?? info.contentType;
    const want = CONTENT_TYPE_NAMES[expectedType] ?? expectedType;
    throw new ContentInfoProblem('wrong-type', `the ${what} is CMS ${got}, expected ${want}`);
  }
  return info;
}

/** Wraps CMS content of `contentType` in a ContentInfo and encodes it. */
export function encodeContentInfo(contentType: string, content: { toSchema(): asn1js.AsnType }): Uint8Array {
  const info = new pkijs.ContentInfo({ contentType, content: content.toSchema() });
  return new Uint8Array(info.toSchema().toBER(false));
}

const PKIJS_CERTIFICATES = new WeakMap<x509.X509Certificate, pkijs.Certificate>();

/**
 * `certificate` as pkijs wants it inside CMS structures. Parsing is the slow part of building a message, so
 * the answer is kept for as long as the certificate object lives (the RA and CA certificates are cached).
 */
export function asPkijsCertificate(certificate: x509.X509Certificate): pkijs.Certificate {
  return PKIJS_CERTIFICATES.get(certificate) ?? remember(certificate, pkijs.Certificate.fromBER(certificate.rawData));
}

/** Keeps `parsed` (already parsed by pkijs, e.g. inside a message) as the pkijs form of `certificate`. */
export function remember(certificate: x509.X509Certificate, parsed: pkijs.Certificate): pkijs.Certificate {
  PKIJS_CERTIFICATES.set(certificate, parsed);
  return parsed;
}
