// Attestation: with `attestation: direct` and FIDO metadata for the authenticator's model, a packed
// attestation whose certificate chains to the metadata's root makes the passkey hardware (`hwk`); a chain
// to another root is refused, and a model the metadata does not list registers as software (`swk`). The
// attestation CA and metadata statement are made here, at test start. This server also flags counter
// regressions instead of refusing them (counter_regression: flag).
import { createPrivateKey, webcrypto } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { x509 } from '../../../src/trust/x509.js';
import { backendName } from '../../helpers/backend.js';
import { HttpUser, expectCallback } from '../../helpers/http-user.js';
import { relyingParty, REDIRECT_URI, type RelyingParty } from '../../helpers/rp.js';
import { startServer, type TestServer } from '../../helpers/server.js';
import { SoftAuthenticator } from '../../helpers/soft-authenticator.js';
import {
  accountUser,
  lastAudit,
  optionsOf,
  pageOf,
  passkeyRows,
  postAssertion,
  postRegistration,
  registrationPage,
} from './helpers.js';

const MODEL = '4c1d3d6e-8c1b-4d5c-9a2e-6f0a1b2c3d4e';
const UNLISTED = '7e57ab1e-0000-4000-8000-000000000001';
const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

interface Ca {
  certificate: x509.X509Certificate;
  keys: CryptoKeyPair;
}

async function rootCa(name: string): Promise<Ca> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: `CN=${name}, O=Latchkey Test, C=US`,
    notBefore: new Date(Date.now() - 86_400_000),
    notAfter: new Date(Date.now() + 86_400_000),
    keys,
    signingAlgorithm: ALG,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
  });
  return { certificate, keys };
}

/** An attestation certificate of `ca` as a packed statement requires (OU Authenticator Attestation, not a CA). */
async function attestationKey(ca: Ca) {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: '02',
    subject: 'CN=Test Authenticator, OU=Authenticator Attestation, O=Latchkey Test, C=US',
    issuer: ca.certificate.subject,
    notBefore: new Date(Date.now() - 86_400_000),
    notAfter: new Date(Date.now() + 86_400_000),
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: ALG,
    extensions: [new x509.BasicConstraintsExtension(false, undefined, true)],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  return {
    key: createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }),
    certificateDer: new Uint8Array(certificate.rawData),
  };
}

describe(`passkey attestation against FIDO metadata [${backendName()}]`, () => {
  let server: TestServer;
  let rp: RelyingParty;
  let account: HttpUser;
  let trusted: Ca;
  let stranger: Ca;

  beforeAll(async () => {
    [trusted, stranger] = await Promise.all([rootCa('Test Attestation Root'), rootCa('Unknown Root')]);
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'latchkey-mds-')), 'statements.json');
    writeFileSync(
      file,
      JSON.stringify([
        {
          aaguid: MODEL,
          description: 'Latchkey test authenticator',
          attestationTypes: ['basic_full'],
          authenticationAlgorithms: ['secp256r1_ecdsa_sha256_raw'],
          attestationRootCertificates: [Buffer.from(trusted.certificate.rawData).toString('base64')],
        },
      ]),
    );
    server = await startServer({
      passkeys: { attestation: 'direct', metadata_file: file, counter_regression: 'flag' },
    });
    const { totpSecret } = await server.addUser('hana', { totp: true });
    const client = await server.addClient({ name: 'App', redirectUri: [REDIRECT_URI] });
    rp = await relyingParty(server, client.clientId, client.clientSecret);
    account = await accountUser(server, 'hana', totpSecret!);
  });
  afterAll(async () => {
    await server?.close();
  });

  function authenticator(aaguid: string, attestation?: Awaited<ReturnType<typeof attestationKey>> | 'self') {
    return new SoftAuthenticator({
      origin: server.issuer,
      rpId: new URL(server.issuer).hostname,
      counter: 1,
      aaguid,
      attestation,
    });
  }

  async function register(a: SoftAuthenticator): Promise<number> {
    const page = await registrationPage(account, server);
    expect(optionsOf(page.html)).toMatchObject({ attestation: 'direct' });
    return (await postRegistration(account, server, page, a.register(optionsOf(page.html)))).status;
  }

  it('makes a passkey whose attestation chains to the metadata root hardware: amr hwk', async () => {
    const hardware = authenticator(MODEL, await attestationKey(trusted));
    expect(await register(hardware)).toBe(303);
    const row = await server.app.services.db('passkeys').where({ credential_id: hardware.id }).first();
    expect(row.attestation_format).toBe('packed');
    expect(Boolean(row.attestation_verified)).toBe(true);

    const user = new HttpUser(server.fetch, server.issuer);
    const started = await rp.start();
    const page = pageOf(await user.go(started.url));
    const callback = expectCallback(await postAssertion(user, server, page, hardware.assert(optionsOf(page.html))));
    expect((await rp.finish(callback, started)).claims()!.amr).toEqual(['hwk', 'user', 'mfa']);
    expect((await lastAudit(server, 'login.passkey'))?.reasons).toEqual(['passkey', 'attestation verified']);
  });

  it('refuses an attestation of a listed model that chains to another root, and stores nothing', async () => {
    const before = await passkeyRows(server);
    expect(await register(authenticator(MODEL, await attestationKey(stranger)))).toBe(400);
    expect((await lastAudit(server, 'passkey.register'))?.reasons[0]).toBe('ERR_PASSKEY_ATTESTATION');
    expect(await passkeyRows(server)).toBe(before);
  });

  it('registers an unlisted model, or one sending attestation none, as software: swk', async () => {
    const unlisted = authenticator(UNLISTED, await attestationKey(stranger));
    const none = authenticator(MODEL);
    expect(await register(unlisted)).toBe(303);
    expect(await register(none)).toBe(303);
    const rows = await server.app.services.db('passkeys').whereIn('credential_id', [unlisted.id, none.id]);
    expect(rows.map((r) => [r.attestation_format, Boolean(r.attestation_verified)]).sort()).toEqual([
      ['none', false],
      ['packed', false],
    ]);
  });

  it('registers a listed model sending packed self attestation (no chain) as software: swk', async () => {
    // Self attestation is signed by the credential's own key: anyone can make one with any AAGUID.
    const selfAttested = authenticator(MODEL, 'self');
    expect(await register(selfAttested)).toBe(303);
    const row = await server.app.services.db('passkeys').where({ credential_id: selfAttested.id }).first();
    expect([row.attestation_format, Boolean(row.attestation_verified)]).toEqual(['packed', false]);

    const user = new HttpUser(server.fetch, server.issuer);
    const started = await rp.start();
    const page = pageOf(await user.go(started.url));
    const callback = expectCallback(await postAssertion(user, server, page, selfAttested.assert(optionsOf(page.html))));
    expect((await rp.finish(callback, started)).claims()!.amr).toEqual(['swk', 'user', 'mfa']);
  });

  it('accepts a counter regression under counter_regression: flag, marks the passkey and audits it', async () => {
    const cloned = authenticator(MODEL);
    expect(await register(cloned)).toBe(303);
    const signIn = async (counter?: number) => {
      const user = new HttpUser(server.fetch, server.issuer);
      const started = await rp.start();
      const page = pageOf(await user.go(started.url));
      return postAssertion(
        user,
        server,
        page,
        cloned.assert(optionsOf(page.html), counter === undefined ? {} : { counter }),
      );
    };
    expectCallback(await signIn());
    expectCallback(await signIn(1));
    const row = await server.app.services.db('passkeys').where({ credential_id: cloned.id }).first();
    expect(row.counter_flagged_at).not.toBeNull();
    expect(Number(row.counter)).toBe(3);
    const [flag] = await server.app.services.audit.search({ event: 'passkey.counter_regression', limit: 1 });
    expect(flag?.reasons[0]).toBe('signature counter 1 did not exceed 3; accepted (counter_regression: flag)');
  });
});
