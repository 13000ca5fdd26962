// IP addresses and CIDR blocks as bytes: parsed once (policy CIDRs at load, the sign-in address once per
// evaluation) and compared by prefix, so matching costs a few byte comparisons and no string work.
import { isIPv4, isIPv6 } from 'node:net';
import type { Cidr, NetworkEntry } from './types.js';

/** A parsed address: IPv4-mapped IPv6 (::ffff:a.b.c.d) is reduced to IPv4. */
export interface IpAddress {
  readonly text: string;
  readonly family: 4 | 6;
  readonly bytes: Uint8Array;
}

export type CidrParseResult = { ok: true; cidr: Cidr } | { ok: false; reason: string };

/** Parse an IPv4 or IPv6 address (zone ids dropped, IPv4-mapped IPv6 reduced to IPv4); null if invalid. */
export function parseIp(text: string): IpAddress | null {
  const address = text.trim();
  const v4 = ipv4Bytes(address);
  if (v4 !== null) return { text: address, family: 4, bytes: v4 };
  const withoutZone = address.split('%')[0] ?? '';
  if (!isIPv6(withoutZone)) return null;
  const bytes = ipv6Bytes(withoutZone);
  if (isV4Mapped(bytes)) {
    const v4 = bytes.slice(12);
    return { text: v4.join('.'), family: 4, bytes: v4 };
  }
  return { text: withoutZone, family: 6, bytes };
}

/**
 * Parse "a.b.c.d/n" or "v6/n" (a bare address is a single host). Host bits must be zero unless
 * `allowHostBits` (then they are masked off, as for trusted-proxy lists that other code already accepted).
 */
export function parseCidr(text: string, options: { allowHostBits?: boolean } = {}): CidrParseResult {
  const [address = '', prefixText, ...rest] = text.trim().split('/');
  if (rest.length > 0) return { ok: false, reason: 'has more than one "/"' };
  const ip = parseIp(address);
  if (ip === null) return { ok: false, reason: `"${address}" is not an IPv4 or IPv6 address` };
  if (ip.family === 4 && !isIPv4(address.trim())) {
    return { ok: false, reason: `"${address}" is IPv4-mapped IPv6; write the IPv4 block (${ip.text}/…) instead` };
  }
  const width = ip.bytes.length * 8;
  if (prefixText === undefined)
    return { ok: true, cidr: { text: text.trim(), family: ip.family, bytes: ip.bytes, prefix: width } };
  if (!/^\d{1,3}$/.test(prefixText)) return { ok: false, reason: `prefix "${prefixText}" is not a number` };
  const prefix = Number(prefixText);
  if (prefix > width) return { ok: false, reason: `prefix /${prefix} is longer than ${width} bits` };
  const network = maskBytes(ip.bytes, prefix);
  if (options.allowHostBits !== true && !network.every((byte, i) => byte === ip.bytes[i])) {
    return { ok: false, reason: `host bits are set; did you mean ${formatAddress(network, ip.family)}/${prefix}?` };
  }
  return { ok: true, cidr: { text: text.trim(), family: ip.family, bytes: network, prefix } };
}

/** True when the address lies in the block (families must agree). */
export function cidrContains(cidr: Cidr, ip: IpAddress): boolean {
  if (cidr.family !== ip.family) return false;
  const whole = cidr.prefix >>> 3;
  for (let i = 0; i < whole; i += 1) if (cidr.bytes[i] !== ip.bytes[i]) return false;
  const rest = cidr.prefix & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((ip.bytes[whole] ?? 0) & mask) === (cidr.bytes[whole] ?? 0);
}

/** True when any block contains the address. */
export function anyCidrContains(cidrs: readonly Cidr[], ip: IpAddress): boolean {
  for (const cidr of cidrs) if (cidrContains(cidr, ip)) return true;
  return false;
}

/** The first ip / not_ip entry (inline CIDR or named location) that contains the address, or null. */
export function findNetworkEntry(entries: readonly NetworkEntry[], ip: IpAddress): NetworkEntry | null {
  for (const entry of entries) if (anyCidrContains(entry.cidrs, ip)) return entry;
  return null;
}

const NON_PUBLIC = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.0.0.0/24',
  '192.0.2.0/24',
  '192.168.0.0/16',
  '198.18.0.0/15',
  '198.51.100.0/24',
  '203.0.113.0/24',
  '224.0.0.0/4',
  '240.0.0.0/4',
  '::/128',
  '::1/128',
  '100::/64',
  '2001:db8::/32',
  'fc00::/7',
  'fe80::/10',
  'ff00::/8',
].map(mustParseCidr);

/** True for private, loopback, link-local, shared (CGNAT), documentation, multicast and reserved addresses. */
export function isNonPublicAddress(ip: IpAddress): boolean {
  return anyCidrContains(NON_PUBLIC, ip);
}

/** Parse a CIDR that is known to be valid (built-in tables); throws on a programming error. */
export function mustParseCidr(text: string): Cidr {
  const result = parseCidr(text);
  if (!result.ok) throw new Error(`invalid built-in CIDR ${text}: ${result.reason}`);
  return result.cidr;
}

/** Dotted-quad IPv4 to bytes without regular expressions (the hot path); null if not strictly valid. */
function ipv4Bytes(address: string): Uint8Array | null {
  const bytes = new Uint8Array(4);
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= address.length; i += 1) {
    const code = i === address.length ? 46 : address.charCodeAt(i);
    if (code === 46) {
      if (digits === 0 || part > 3) return null;
      bytes[part] = value;
      part += 1;
      value = 0;
      digits = 0;
    } else if (code >= 48 && code <= 57) {
      if (digits > 0 && value === 0) return null; // no leading zeros, as net.isIPv4
      value = value * 10 + code - 48;
      digits += 1;
      if (value > 255) return null;
    } else return null;
  }
  return part === 4 ? bytes : null;
}

function ipv6Bytes(address: string): Uint8Array {
  const [head = '', tail] = address.split('::');
  const groups = (part: string): number[] => (part === '' ? [] : part.split(':').flatMap(groupWords));
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const words = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  const bytes = new Uint8Array(16);
  words.forEach((word, i) => {
    bytes[2 * i] = word >> 8;
    bytes[2 * i + 1] = word & 0xff;
  });
  return bytes;
}

/** One colon-separated group as 16-bit words; an embedded IPv4 tail yields two. */
function groupWords(group: string): number[] {
  if (!group.includes('.')) return [parseInt(group, 16)];
  const [a = 0, b = 0, c = 0, d = 0] = ipv4Bytes(group) ?? [];
  return [(a << 8) | b, (c << 8) | d];
}

function isV4Mapped(bytes: Uint8Array): boolean {
  for (let i = 0; i < 10; i += 1) if (bytes[i] !== 0) return false;
  return bytes[10] === 0xff && bytes[11] === 0xff;
}

function maskBytes(bytes: Uint8Array, prefix: number): Uint8Array {
  return bytes.map((byte, i) => {
    const bits = Math.min(8, Math.max(0, prefix - i * 8));
    return byte & ((0xff << (8 - bits)) & 0xff);
  });
}

function formatAddress(bytes: Uint8Array, family: 4 | 6): string {
  if (family === 4) return bytes.join('.');
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  let [bestStart, bestLength, runStart] = [-1, 1, -1];
  words.forEach((word, i) => {
    if (word !== 0) runStart = -1;
    else {
      if (runStart < 0) runStart = i;
      if (i - runStart + 1 > bestLength) [bestStart, bestLength] = [runStart, i - runStart + 1];
    }
  });
  const hex = words.map((word) => word.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}
