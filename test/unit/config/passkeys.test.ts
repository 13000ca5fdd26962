// The passkey settings: documented defaults, the relying party derived from the issuer, and a precise
// refusal for every bad value.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { relyingPartyIdentity } from '../../../src/config/passkeys.js';
import { loadConfig } from '../../../src/config/load.js';
import { ConfigError } from '../../../src/errors.js';

function problems(passkeys: Record<string, unknown>, issuer = 'https://id.example.com'): string {
  try {
    loadConfig({ env: {}, overrides: { issuer, passkeys } });
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(passkeys)} to be refused`);
}

describe('passkey configuration', () => {
  it('has the documented defaults', () => {
    expect(loadConfig({ env: {} }).passkeys).toEqual({
      rp_id: null,
      rp_name: 'Latchkey',
      allowed_origins: null,
      attestation: 'none',
      accepted_aaguids: [],
      metadata_file: null,
      credential_lifetime_days: 365,
      registration_recency_seconds: 300,
      counter_regression: 'refuse',
      challenge_ttl_seconds: 300,
      link_ttl_seconds: 600,
    });
  });

  it("defaults the RP ID to the issuer's host and the origins to the issuer's origin", () => {
    const config = loadConfig({ env: {}, overrides: { issuer: 'https://id.example.com:9443' } });
    expect(relyingPartyIdentity(config)).toEqual({
      rpId: 'id.example.com',
      rpName: 'Latchkey',
      origins: ['https://id.example.com:9443'],
    });
    const wider = loadConfig({
      env: {},
      overrides: {
        issuer: 'https://id.example.com',
        passkeys: { rp_id: 'example.com', allowed_origins: ['https://id.example.com', 'https://login.example.com'] },
      },
    });
    expect(relyingPartyIdentity(wider).rpId).toBe('example.com');
  });

  it.each([
    [{ rp_id: 'https://example.com' }, 'passkeys.rp_id', 'must be a domain name'],
    [{ rp_id: 'Example.com:443' }, 'passkeys.rp_id', 'must be a domain name'],
    [{ rp_name: '' }, 'passkeys.rp_name', ''],
    [{ allowed_origins: ['https://id.example.com/login'] }, 'passkeys.allowed_origins', 'must be an origin'],
    [{ allowed_origins: ['http://id.example.com'] }, 'passkeys.allowed_origins', 'must be an origin'],
    [{ attestation: 'enterprise' }, 'passkeys.attestation', ''],
    [{ accepted_aaguids: ['not-an-aaguid'] }, 'passkeys.accepted_aaguids', 'must be an AAGUID'],
    [{ credential_lifetime_days: 0 }, 'passkeys.credential_lifetime_days', ''],
    [{ credential_lifetime_days: 1.5 }, 'passkeys.credential_lifetime_days', ''],
    [{ registration_recency_seconds: 10 }, 'passkeys.registration_recency_seconds', ''],
    [{ counter_regression: 'ignore' }, 'passkeys.counter_regression', ''],
    [{ challenge_ttl_seconds: 3600 }, 'passkeys.challenge_ttl_seconds', ''],
    [{ link_ttl_seconds: 5 }, 'passkeys.link_ttl_seconds', ''],
    [{ surprise: true }, 'passkeys', 'surprise'],
  ])('refuses %j, naming the setting', (passkeys, setting, words) => {
    const message = problems(passkeys);
    expect(message).toContain(setting);
    expect(message).toContain(words);
  });

  it('refuses origins that are not on the RP ID', () => {
    expect(problems({ rp_id: 'example.org' })).toContain(
      'passkeys.allowed_origins https://id.example.com is not on passkeys.rp_id example.org',
    );
  });

  it('refuses a metadata file that cannot be read or is not FIDO metadata, at start', async () => {
    const { loadPasskeyMetadata } = await import('../../../src/passkeys/metadata.js');
    await expect(loadPasskeyMetadata('/nonexistent/mds.jwt')).rejects.toThrow('cannot be read (ENOENT)');
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'latchkey-mds-')), 'mds.json');
    writeFileSync(file, '[{"description": "no aaguid"}]');
    await expect(loadPasskeyMetadata(file)).rejects.toThrow('holds no metadata statement');
    writeFileSync(file, 'not.a.jwt');
    await expect(loadPasskeyMetadata(file)).rejects.toThrow('is not a valid FIDO MDS3 BLOB');
  });
});
