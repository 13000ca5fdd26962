// Certificates arrive as PEM text, DER bytes (Node's getPeerCertificate().raw, proxy headers) or already
// parsed; this turns any of them into an X509Certificate or reports that it is not one.
import { x509 } from './x509.js';

/** A certificate as PEM text, DER bytes or a parsed X509Certificate. */
export type CertificateInput = string | ArrayBuffer | ArrayBufferView | x509.X509Certificate;

/** Parses `input` as one X.509 certificate; throws the library's error if it is not one. */
export function parseCertificate(input: CertificateInput): x509.X509Certificate {
  if (input instanceof x509.X509Certificate) return input;
  if (typeof input === 'string') {
    const blocks = x509.PemConverter.decodeWithHeaders(input);
    if (blocks.length !== 1 || blocks[0]!.type !== 'CERTIFICATE') {
      throw new TypeError('expected exactly one PEM CERTIFICATE block');
    }
    return new x509.X509Certificate(blocks[0]!.rawData);
  }
  const bytes = ArrayBuffer.isView(input)
    ? new Uint8Array(input.buffer, input.byteOffset, input.byteLength)
    : new Uint8Array(input);
  return new x509.X509Certificate(bytes.slice());
}
