// Entra's id_token_hint: verified against the configured tenant's keys, issuer and audience; its age
// bounded by iat, since Entra issues it already expired.
import { mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { EntraHintError, EntraHintVerifier } from '../../../src/federation/entra-hint.js';
import type { EntraSettings } from '../../../src/federation/settings.js';

const TENANT = '11111111-2222-3333-4444-555555555555';
const ISSUER = `https://login.microsoftonline.com/${TENANT}/v2.0`;
const NOW = 1_800_000_000;

let entra: EntraSettings;
let signingKey: CryptoKey;
let otherKey: CryptoKey;

async function hint(
  claims: Record<string, unknown> = {},
  options: { key?: CryptoKey; kid?: string; alg?: string } = {},
): Promise<string> {
  return new SignJWT({ tid: TENANT, oid: 'oid-1', preferred_username: 'alice@contoso.com', ...claims })
    .setProtectedHeader({ alg: options.alg ?? 'RS256', kid: options.kid ?? 'k1', typ: 'JWT' })
    .setIssuer((claims.iss as string | undefined) ?? ISSUER)
    .setAudience((claims.aud as string | undefined) ?? 'latchkey-client')
    .setSubject((claims.sub as string | undefined) ?? 'pairwise-sub')
    .setIssuedAt((claims.iat as number | undefined) ?? NOW - 5)
    .setExpirationTime(NOW - 4) // Entra issues hints already expired
    .sign(options.key ?? signingKey);
}

beforeAll(async () => {
  const pair = await generateKeyPair('RS256', { extractable: true });
  signingKey = pair.privateKey;
  otherKey = (await generateKeyPair('RS256')).privateKey;
  const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  const dir = mkdtempSync(path.join(tmpdir(), 'entra-keys-'));
  const file = path.join(dir, 'keys.json');
  writeFileSync(file, JSON.stringify({ keys: [jwk] }));
  entra = {
    tenantId: TENANT,
    appId: 'entra-app-id',
    authority: 'https://login.microsoftonline.com',
    jwksUri: null,
    jwksFile: file,
    matchClaim: 'preferred_username',
    matchField: 'email',
  };
});

const verifier = new EntraHintVerifier();
const verify = (token: string, audiences = ['latchkey-client', 'entra-app-id']) =>
  verifier.verify(token, entra, audiences, NOW);

describe('Entra id_token_hint', () => {
  it('accepts an expired hint of the tenant for this client and says who it names', async () => {
    await expect(verify(await hint())).resolves.toEqual({
      sub: 'pairwise-sub',
      tid: TENANT,
      oid: 'oid-1',
      preferredUsername: 'alice@contoso.com',
      email: undefined,
      upn: undefined,
      name: undefined,
    });
  });

  it("accepts the Entra app id as the audience as well as the client's id", async () => {
    await expect(verify(await hint({ aud: 'entra-app-id' }))).resolves.toMatchObject({ sub: 'pairwise-sub' });
  });

  it.each<[string, () => Promise<string>, RegExp]>([
    ['a bad signature', () => hint({}, { key: otherKey }), /signature of id_token_hint does not verify/],
    ['an unknown key', () => hint({}, { kid: 'k2', key: otherKey }), /signed with a key the tenant does not publish/],
    ['another tenant', () => hint({ iss: 'https://login.microsoftonline.com/other/v2.0' }), /was issued by .*other/],
    ['our own issuer', () => hint({ iss: 'https://id.example.com' }), /was issued by https:\/\/id\.example\.com/],
    ['another audience', () => hint({ aud: 'someone-else' }), /is for someone-else, not this application/],
    ['an old hint', () => hint({ iat: NOW - 3600 }), /older than 10 minutes/],
    ['a hint from the future', () => hint({ iat: NOW + 3600 }), /issued in the future/],
    ['a tid of another tenant', () => hint({ tid: 'other' }), /for tenant other/],
    ['HS256', () => new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).sign(new Uint8Array(32)), /RS256, not HS256/],
  ])('refuses %s with a precise reason', async (_name, make, message) => {
    const error = await verify(await make()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EntraHintError);
    expect((error as EntraHintError).kind).toBe('invalid');
    expect((error as Error).message).toMatch(message);
  });

  it('refuses what is not a JWT', async () => {
    await expect(verify('not-a-jwt')).rejects.toThrow('id_token_hint is not a JWT');
  });

  it('says the keys are unavailable (not that the hint is bad) when they cannot be read', async () => {
    const broken = { ...entra, jwksFile: '/nonexistent/keys.json' };
    const error = await new EntraHintVerifier()
      .verify(await hint(), broken, ['latchkey-client'], NOW)
      .catch((e: unknown) => e);
    expect((error as EntraHintError).kind).toBe('unavailable');
    expect((error as Error).message).toContain('/nonexistent/keys.json');
  });

  it('reads a key file again once it changes (the tenant rotated its keys)', async () => {
    const rotated = await generateKeyPair('RS256', { extractable: true });
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'entra-rotate-')), 'keys.json');
    writeFileSync(file, JSON.stringify({ keys: [] }));
    const reading = new EntraHintVerifier();
    const settings = { ...entra, jwksFile: file };
    const token = await hint({}, { key: rotated.privateKey, kid: 'k9' });
    await expect(reading.verify(token, settings, ['latchkey-client'], NOW)).rejects.toThrow('does not publish');
    const jwk = { ...(await exportJWK(rotated.publicKey)), kid: 'k9', alg: 'RS256' };
    writeFileSync(file, JSON.stringify({ keys: [jwk] }));
    const later = new Date(Date.now() + 5000);
    utimesSync(file, later, later);
    await expect(reading.verify(token, settings, ['latchkey-client'], NOW)).resolves.toMatchObject({
      sub: 'pairwise-sub',
    });
  });
});
