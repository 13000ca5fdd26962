// Signing keys carry a certificate (x5c) in the JWKS, because Microsoft Entra refuses a provider whose keys
// lack one: new keys get it when made, and keys made before get it once, the first time they are loaded.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { importJWK } from 'jose';
import { loadConfig } from '../../../src/config/load.js';
import { createLogger } from '../../../src/log.js';
import { openServices, type Services } from '../../../src/server/services.js';
import { x509 } from '../../../src/trust/x509.js';
import { backendName, prepareBackend, type Backend } from '../../helpers/backend.js';

describe(`signing keys [${backendName()}]`, () => {
  let backend: Backend;
  let services: Services;
  let dataDir: string;

  beforeAll(async () => {
    backend = await prepareBackend();
    dataDir = mkdtempSync(path.join(tmpdir(), 'latchkey-keys-'));
    const config = loadConfig({
      env: {},
      overrides: { data_dir: dataDir, database: { url: backend.databaseUrl }, redis: { url: backend.redisUrl } },
    });
    services = await openServices(config, createLogger('silent'), {});
    await services.keys.ensureSigningKeys();
  });
  afterAll(async () => {
    await services?.close();
    await backend?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('publishes every key with a self-signed certificate of that very key', async () => {
    const { keys } = await services.keys.providerKeys();
    expect(keys.map((key) => key.alg).sort()).toEqual(['ES256', 'RS256']);
    for (const key of keys) {
      expect(key.x5c).toHaveLength(1);
      const certificate = new x509.X509Certificate(Buffer.from(key.x5c![0]!, 'base64'));
      expect(certificate.subject).toBe(`CN=Latchkey token signing key ${key.kid}`);
      expect(await certificate.verify({ signatureOnly: true })).toBe(true);
      const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, x5c: _x5c, ...publicJwk } = key;
      const fromJwk = await importJWK(publicJwk, key.alg);
      const spki = Buffer.from(await crypto.subtle.exportKey('spki', fromJwk as CryptoKey));
      expect(Buffer.from(certificate.publicKey.rawData).equals(spki)).toBe(true);
    }
  });

  it('gives a key made before certificates existed one, once, and keeps it', async () => {
    const [row] = await services.db('signing_keys').where({ alg: 'RS256' }).select('kid', 'private_jwk_sealed');
    const sealed = JSON.parse(services.box.openText(row.private_jwk_sealed, 'signing-key')) as Record<string, unknown>;
    delete sealed.x5c;
    await services
      .db('signing_keys')
      .where({ kid: row.kid })
      .update({ private_jwk_sealed: services.box.seal(JSON.stringify(sealed), 'signing-key') });
    const first = (await services.keys.providerKeys()).keys.find((key) => key.kid === row.kid)!;
    expect(first.x5c).toHaveLength(1);
    const again = (await services.keys.providerKeys()).keys.find((key) => key.kid === row.kid)!;
    expect(again.x5c).toEqual(first.x5c);
  });
});
