// Country of a sign-in's address: from a MaxMind-format (MMDB) database, by default the freely licensed
// @ip-location-db/geo-whois-asn-country-mmdb, or from a header set by a trusted proxy. An unknown country is
// a fact (null) that policies can match, never an error; private and loopback addresses are always null.
import { createRequire } from 'node:module';
import maxmind, { type CountryResponse, type Reader } from 'maxmind';
import { ConfigError, LatchkeyError } from '../errors.js';
import { normaliseCountryCode } from '../policies/countries.js';
import { anyCidrContains, isNonPublicAddress, parseCidr, parseIp } from '../policies/network.js';
import type { Cidr } from '../policies/types.js';

/** Package and file of the default database (IPv4 + IPv6, country codes only). */
const DEFAULT_DATABASE = '@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb';

/** Proxy header values that mean "no country" (Cloudflare: XX unknown, T1 Tor). */
const UNKNOWN_HEADER_VALUES: ReadonlySet<string> = new Set(['XX', 'T1', 'ZZ', '']);

/** A country database could not be opened or is not a country database. */
export class GeoDatabaseError extends LatchkeyError {
  constructor(message: string, detail: Record<string, unknown>, cause?: unknown) {
    super('ERR_GEO_DATABASE_UNAVAILABLE', message, { status: 500, detail, cause });
  }
}

export interface CountryDatabase {
  readonly path: string;
  /** When the database was built, to warn operators about stale data. */
  readonly builtAt: Date;
  readonly databaseType: string;
  /** ISO 3166-1 alpha-2 code of the address, or null (unknown, invalid, private or loopback). */
  lookup(ip: string): string | null;
}

/** Absolute path of the bundled default database. */
export function defaultCountryDatabasePath(): string {
  return createRequire(import.meta.url).resolve(DEFAULT_DATABASE);
}

/** Open an MMDB country database (the bundled default when no path is given). */
export async function openCountryDatabase(path: string = defaultCountryDatabasePath()): Promise<CountryDatabase> {
  let reader: Reader<CountryResponse>;
  try {
    reader = await maxmind.open<CountryResponse>(path);
  } catch (error) {
    throw new GeoDatabaseError(`cannot open country database ${path}`, { path }, error);
  }
  const databaseType = reader.metadata.databaseType;
  if (!/country|city/i.test(databaseType)) {
    throw new GeoDatabaseError(`${path} is not a country database (type "${databaseType}")`, { path, databaseType });
  }
  return { path, builtAt: reader.metadata.buildEpoch, databaseType, lookup: (ip) => lookupCountry(reader, ip) };
}

/** Look an address up in an open reader; null for anything not a public address with a known country. */
export function lookupCountry(reader: Pick<Reader<CountryResponse>, 'get'>, ip: string): string | null {
  const address = parseIp(ip);
  if (address === null || isNonPublicAddress(address)) return null;
  return countryFromRecord(reader.get(address.text));
}

/** The country code in an MMDB record: ip-location-db's `country_code`, or MaxMind's `country.iso_code`. */
export function countryFromRecord(record: unknown): string | null {
  if (record === null || typeof record !== 'object') return null;
  const fields = record as {
    country_code?: unknown;
    country?: { iso_code?: unknown };
    registered_country?: { iso_code?: unknown };
  };
  const code = fields.country_code ?? fields.country?.iso_code ?? fields.registered_country?.iso_code;
  return typeof code === 'string' ? normaliseCountryCode(code) : null;
}

/**
 * What a country header says: `country` when it came from a trusted proxy (null = the proxy does not
 * know), `absent` when there is no header (use the database), `untrusted` when a peer that is not a
 * trusted proxy sent one (ignore it, log it, use the database).
 */
export type ProxyCountry =
  | { readonly kind: 'country'; readonly country: string | null }
  | { readonly kind: 'absent' }
  | { readonly kind: 'untrusted'; readonly reason: string };

/** Read a country header (e.g. CF-IPCountry, CloudFront-Viewer-Country) only if the peer is a trusted proxy. */
export function countryFromProxyHeader(
  headerValue: string | readonly string[] | undefined,
  peerIp: string,
  trustedProxies: readonly Cidr[],
): ProxyCountry {
  const values = headerValue === undefined ? [] : typeof headerValue === 'string' ? [headerValue] : [...headerValue];
  if (values.length === 0) return { kind: 'absent' };
  const peer = parseIp(peerIp);
  if (peer === null || !anyCidrContains(trustedProxies, peer)) {
    return { kind: 'untrusted', reason: `country header from ${peerIp}, which is not a trusted proxy` };
  }
  // A proxy that appends rather than replaces puts its value last; earlier ones may come from the client.
  const last = values.join(',').split(',').at(-1)?.trim().toUpperCase() ?? '';
  return { kind: 'country', country: UNKNOWN_HEADER_VALUES.has(last) ? null : normaliseCountryCode(last) };
}

/** Compile trusted-proxy CIDRs (as accepted by the configuration) for countryFromProxyHeader. */
export function compileTrustedProxies(cidrs: readonly string[]): Cidr[] {
  return cidrs.map((text) => {
    const result = parseCidr(text, { allowHostBits: true });
    if (!result.ok) throw new ConfigError(`trusted proxy ${text} is not a CIDR: ${result.reason}`, { cidr: text });
    return result.cidr;
  });
}
