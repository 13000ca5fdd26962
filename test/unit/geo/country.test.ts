import { describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import {
  compileTrustedProxies,
  countryFromProxyHeader,
  countryFromRecord,
  defaultCountryDatabasePath,
  GeoDatabaseError,
  lookupCountry,
  openCountryDatabase,
} from '../../../src/geo/country.js';

describe('country from the MMDB database', () => {
  it('finds the bundled default database', () => {
    expect(existsSync(defaultCountryDatabasePath())).toBe(true);
  });

  it('looks up public IPv4 and IPv6 addresses', async () => {
    const database = await openCountryDatabase();
    expect(database.lookup('8.8.8.8')).toBe('US');
    expect(database.lookup('2001:4860:4860::8888')).toMatch(/^[A-Z]{2}$/);
    expect(database.builtAt).toBeInstanceOf(Date);
  });

  it('answers null for private, loopback and invalid addresses', async () => {
    const database = await openCountryDatabase();
    for (const address of ['10.0.0.1', '127.0.0.1', '192.168.1.10', '::1', 'fd12::1', 'not-an-ip', '']) {
      expect([address, database.lookup(address)]).toEqual([address, null]);
    }
  });

  it('does not even ask the database about non-public addresses', () => {
    const reader = {
      get: () => {
        throw new Error('should not be called');
      },
    };
    expect(lookupCountry(reader, '10.1.2.3')).toBeNull();
  });

  it('reads the ip-location-db and MaxMind record shapes', () => {
    expect(countryFromRecord({ country_code: 'DE' })).toBe('DE');
    expect(countryFromRecord({ country: { iso_code: 'fr' } })).toBe('FR');
    expect(countryFromRecord({ registered_country: { iso_code: 'NL' } })).toBe('NL');
    expect(countryFromRecord({ country_code: 'EU' })).toBeNull();
    expect(countryFromRecord(null)).toBeNull();
  });

  it('fails with a stable code when the file cannot be opened', async () => {
    await expect(openCountryDatabase('/nonexistent/country.mmdb')).rejects.toMatchObject({
      code: 'ERR_GEO_DATABASE_UNAVAILABLE',
    });
    await expect(openCountryDatabase('/nonexistent/country.mmdb')).rejects.toBeInstanceOf(GeoDatabaseError);
  });
});

describe('country from a trusted proxy header', () => {
  const proxies = compileTrustedProxies(['10.0.0.0/8', '2001:db8::/32']);

  it('takes the country from a trusted proxy', () => {
    expect(countryFromProxyHeader('de', '10.1.2.3', proxies)).toEqual({ kind: 'country', country: 'DE' });
    expect(countryFromProxyHeader('SE', '::ffff:10.1.2.3', proxies)).toEqual({ kind: 'country', country: 'SE' });
  });

  it('treats the proxy’s unknown markers as an unknown country', () => {
    expect(countryFromProxyHeader('XX', '10.1.2.3', proxies)).toEqual({ kind: 'country', country: null });
    expect(countryFromProxyHeader('T1', '10.1.2.3', proxies)).toEqual({ kind: 'country', country: null });
    expect(countryFromProxyHeader('Narnia', '10.1.2.3', proxies)).toEqual({ kind: 'country', country: null });
  });

  it('ignores the header from a peer that is not a trusted proxy', () => {
    const result = countryFromProxyHeader('DE', '203.0.113.9', proxies);
    expect(result.kind).toBe('untrusted');
  });

  it('says absent when there is no header', () => {
    expect(countryFromProxyHeader(undefined, '10.1.2.3', proxies)).toEqual({ kind: 'absent' });
  });

  it('uses the value the nearest proxy appended', () => {
    expect(countryFromProxyHeader('US, DE', '10.1.2.3', proxies)).toEqual({ kind: 'country', country: 'DE' });
    expect(countryFromProxyHeader(['US', 'DE'], '10.1.2.3', proxies)).toEqual({ kind: 'country', country: 'DE' });
  });

  it('refuses a trusted-proxy list entry that is not a CIDR', () => {
    expect(() => compileTrustedProxies(['10.0.0.0/40'])).toThrow(/trusted proxy 10.0.0.0\/40 is not a CIDR/);
  });
});
