// The client certificate of a request to the device-check listener: from this connection's TLS handshake,
// or, behind a TLS-terminating proxy, from the header that proxy sets (Envoy's X-Forwarded-Client-Cert,
// RFC 9440 Client-Cert, nginx's $ssl_client_escaped_cert). A header is believed only from a configured
// proxy address: from anyone else it is ignored (and logged), since anyone can send headers. Parsing is
// ours because no maintained library reads these three formats; what comes out is DER, verified like any
// presented certificate.
import type { TLSSocket } from 'node:tls';
import type { Context } from 'koa';
import type { Logger } from '../log.js';
import { cidrMatcher } from './proxy.js';

export const CERTIFICATE_HEADER_FORMATS = ['xfcc', 'rfc9440', 'escaped_pem'] as const;
export type CertificateHeaderFormat = (typeof CERTIFICATE_HEADER_FORMATS)[number];

/** The header each format is sent in unless configured otherwise. */
export const DEFAULT_HEADER_NAMES: Record<CertificateHeaderFormat, string> = {
  xfcc: 'x-forwarded-client-cert',
  rfc9440: 'client-cert',
  escaped_pem: 'x-ssl-client-cert',
};

export interface CertificateHeaderSettings {
  format: CertificateHeaderFormat;
  /** Header name (case-insensitive); null: the format's usual one. */
  name: string | null;
  /** CIDRs of the proxies allowed to send it. */
  trusted_proxies: readonly string[];
}

export type PresentedCertificate =
  | { kind: 'none' }
  | { kind: 'certificate'; der: Uint8Array; via: 'tls' | 'header' }
  | { kind: 'malformed'; reason: string };

/** Reads the presented certificate of a request, by the configured rules. */
export function clientCertificateReader(
  header: CertificateHeaderSettings | null,
  log: Logger,
): (ctx: Context) => PresentedCertificate {
  const trusted = cidrMatcher(header?.trusted_proxies ?? []);
  const name = header ? (header.name ?? DEFAULT_HEADER_NAMES[header.format]).toLowerCase() : undefined;
  return (ctx) => {
    const value = name ? ctx.req.headers[name] : undefined;
    const peer = ctx.req.socket.remoteAddress ?? '';
    if (header && value !== undefined) {
      if (trusted(peer)) return parseCertificateHeader(header.format, Array.isArray(value) ? value : [value]);
      log.warn({ peer, header: name }, 'ignoring a client-certificate header from a peer that is not a trusted proxy');
    }
    return fromTls(ctx);
  };
}

function fromTls(ctx: Context): PresentedCertificate {
  const socket = ctx.req.socket as Partial<TLSSocket>;
  const peer = socket.getPeerCertificate?.(false);
  return peer?.raw ? { kind: 'certificate', der: new Uint8Array(peer.raw), via: 'tls' } : { kind: 'none' };
}

/** Parses the header's values (one per header line) in `format`; exactly one certificate must come out. */
export function parseCertificateHeader(
  format: CertificateHeaderFormat,
  values: readonly string[],
): PresentedCertificate {
  const joined = values.join(',').trim();
  if (joined === '') return { kind: 'none' };
  try {
    const der =
      format === 'xfcc' ? fromXfcc(joined) : format === 'rfc9440' ? fromRfc9440(joined) : fromEscapedPem(joined);
    return { kind: 'certificate', der, via: 'header' };
  } catch (error) {
    return { kind: 'malformed', reason: (error as Error).message };
  }
}

/** Envoy: `By=...;Hash=...;Cert="<url-encoded PEM>";Chain=...` — one element (one proxy hop) only. */
function fromXfcc(value: string): Uint8Array {
  const elements = splitOutsideQuotes(value, ',');
  if (elements.length !== 1) throw new Error(`expected one X-Forwarded-Client-Cert element, got ${elements.length}`);
  const cert = splitOutsideQuotes(elements[0]!, ';')
    .map((pair) => pair.trim())
    .find((pair) => /^cert=/i.test(pair));
  if (!cert) throw new Error('the X-Forwarded-Client-Cert element has no Cert field');
  return pemToDer(decodeURIComponent(unquote(cert.slice('cert='.length))));
}

/** RFC 9440: a structured-field byte sequence, `:<base64 DER>:`. */
function fromRfc9440(value: string): Uint8Array {
  const match = /^:([A-Za-z0-9+/]+={0,2}):$/.exec(value);
  if (!match) throw new Error('Client-Cert must be a byte sequence :<base64>:');
  return new Uint8Array(Buffer.from(match[1]!, 'base64'));
}

/** nginx $ssl_client_escaped_cert: a URL-encoded PEM. */
function fromEscapedPem(value: string): Uint8Array {
  return pemToDer(decodeURIComponent(value));
}

function pemToDer(pem: string): Uint8Array {
  const match = /^-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----\s*$/.exec(pem.trim());
  if (!match) throw new Error('expected exactly one PEM CERTIFICATE block');
  const der = Buffer.from(match[1]!.replace(/\s+/g, ''), 'base64');
  if (der.length === 0) throw new Error('the PEM CERTIFICATE block is empty');
  return new Uint8Array(der);
}

function unquote(value: string): string {
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
}

function splitOutsideQuotes(value: string, separator: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (const character of value) {
    if (character === '"') quoted = !quoted;
    if (character === separator && !quoted) {
      parts.push(current);
      current = '';
    } else current += character;
  }
  if (quoted) throw new Error('unbalanced quotes');
  parts.push(current);
  return parts.filter((part) => part.trim() !== '');
}
