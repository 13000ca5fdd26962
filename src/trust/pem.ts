// PEM in and out for certificates, keys, CSRs and CRLs. Blocks are always joined with "\n" because
// several tools reject bundles whose blocks are not separated by a line break (see PITFALLS.md).
import { x509 } from './x509.js';

export type PemLabel = 'CERTIFICATE' | 'PRIVATE KEY' | 'CERTIFICATE REQUEST' | 'X509 CRL' | 'PUBLIC KEY';

/** Encodes DER bytes as one PEM block with `label`, ending in a newline. */
export function toPem(der: BufferSource, label: PemLabel): string {
  return `${x509.PemConverter.encode(der, label).trim()}\n`;
}

/** Joins PEM blocks into one bundle, one block after another, separated by "\n". */
export function joinPem(blocks: readonly string[]): string {
  return blocks.map((block) => `${block.trim()}\n`).join('');
}

/** Splits a PEM bundle into its blocks (each normalised to end in a newline), in order. */
export function splitPem(bundle: string): string[] {
  return x509.PemConverter.decodeWithHeaders(bundle).map((block) => toPem(block.rawData, block.type as PemLabel));
}

/** The type label of every block in `text`, in order ("CERTIFICATE", "PRIVATE KEY", ...). */
export function pemLabels(text: string): string[] {
  return x509.PemConverter.decodeWithHeaders(text).map((block) => block.type);
}

/** Copies any BufferSource into a standalone ArrayBuffer (WebCrypto and pkijs want exactly that). */
export function toArrayBuffer(data: ArrayBuffer | ArrayBufferView): ArrayBuffer {
  const view = ArrayBuffer.isView(data)
    ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    : new Uint8Array(data);
  return view.slice().buffer;
}

/** Lowercase hex of `data`. */
export function toHex(data: BufferSource): string {
  return Buffer.from(toArrayBuffer(data)).toString('hex');
}
