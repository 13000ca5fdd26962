// The country of a sign-in: from a trusted proxy's header when configured and the peer is trusted,
// else from the MMDB database. Unknown is a fact (null), never an error.
import type { Logger } from '../log.js';
import {
  compileTrustedProxies,
  countryFromProxyHeader,
  openCountryDatabase,
  type CountryDatabase,
} from '../geo/country.js';
import type { Cidr } from '../policies/index.js';

export class CountryResolver {
  private constructor(
    private readonly database: CountryDatabase,
    private readonly header: string | null,
    private readonly trustedProxies: Cidr[],
    private readonly log: Logger,
  ) {}

  static async open(
    options: { database: string | null; header: string | null; trustedProxies: readonly string[] },
    log: Logger,
  ): Promise<CountryResolver> {
    const database = await openCountryDatabase(options.database ?? undefined);
    return new CountryResolver(
      database,
      options.header?.toLowerCase() ?? null,
      compileTrustedProxies(options.trustedProxies),
      log,
    );
  }

  /** ISO 3166-1 alpha-2 code or null. `clientIp` is the address policies see (after trusted proxies). */
  resolve(clientIp: string, peerIp: string, headers: Record<string, string | string[] | undefined>): string | null {
    if (this.header) {
      const raw = headers[this.header];
      const value = Array.isArray(raw) ? raw[0] : raw;
      const fromProxy = countryFromProxyHeader(value, peerIp, this.trustedProxies);
      if (fromProxy.kind === 'country') return fromProxy.country;
      if (fromProxy.kind === 'untrusted')
        this.log.warn({ peer: peerIp, header: this.header, reason: fromProxy.reason }, 'ignoring country header');
    }
    return this.database.lookup(clientIp);
  }

  lookup(ip: string): string | null {
    return this.database.lookup(ip);
  }
}
