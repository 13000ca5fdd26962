// Passkeys over HTTP with a software authenticator that makes real CBOR, COSE keys and ECDSA signatures:
// registration after password + TOTP, a passwordless sign-in to an openid-client relying party, and every
// refusal with its stable code and nothing stored or advanced.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { backendName } from '../../helpers/backend.js';
import { HttpUser, expectCallback } from '../../helpers/http-user.js';
import { oauthError, relyingParty, REDIRECT_URI, type RelyingParty } from '../../helpers/rp.js';
import { startServer, type TestServer } from '../../helpers/server.js';
import type { SoftAuthenticator } from '../../helpers/soft-authenticator.js';
import {
  accountUser,
  lastAudit,
  optionsOf,
  pageOf,
  passkeyRows,
  postAssertion,
  postRegistration,
  registerWith,
  registrationPage,
  softAuthenticator,
} from './helpers.js';

describe(`passkey ceremonies [${backendName()}]`, () => {
  let server: TestServer;
  let rp: RelyingParty;
  let totpSecret: string;
  let authenticator: SoftAuthenticator;
  /** Signed in to /account with password + TOTP (a TOTP step is accepted once, so once per file). */
  let account: HttpUser;

  beforeAll(async () => {
    server = await startServer();
    totpSecret = (await server.addUser('pia', { totp: true })).totpSecret!;
    const client = await server.addClient({ name: 'Intranet', redirectUri: [REDIRECT_URI] });
    rp = await relyingParty(server, client.clientId, client.clientSecret);
    authenticator = softAuthenticator(server);
    account = await accountUser(server, 'pia', totpSecret);
    await registerWith(account, server, authenticator);
  });
  afterAll(async () => {
    await server?.close();
  });

  /** The login page of a fresh authorization request, and the browser that holds it. */
  async function loginPage() {
    const user = new HttpUser(server.fetch, server.issuer);
    const started = await rp.start();
    const page = pageOf(await user.go(started.url));
    return { user, started, page };
  }

  async function counterOf(id = authenticator.id): Promise<number> {
    return (await server.app.services.db('passkeys').where({ credential_id: id }).first()).counter as number;
  }

  it('stored the registration with what the authenticator said, and audited it', async () => {
    const row = await server.app.services.db('passkeys').where({ credential_id: authenticator.id }).first();
    expect(row).toMatchObject({
      name: 'Test passkey',
      aaguid: '00000000-0000-0000-0000-000000000000',
      attestation_format: 'none',
    });
    expect(Boolean(row.backup_eligible)).toBe(false);
    expect(Boolean(row.attestation_verified)).toBe(false);
    expect(Number(row.expires_at) - Number(row.created_at)).toBe(365 * 86_400_000);
    expect(JSON.parse(row.transports as string)).toEqual(['internal']);
    expect(await lastAudit(server, 'passkey.register')).toEqual({
      outcome: 'success',
      reasons: ['single-device', 'attestation none not verified'],
    });
  });

  it('signs in to the relying party with the passkey alone: amr swk user mfa, acr mfa, no password', async () => {
    const { user, started, page } = await loginPage();
    expect(page.html).toContain('Sign in with a passkey');
    expect(page.html).toContain('autocomplete="username webauthn"');
    const landing = await postAssertion(user, server, page, authenticator.assert(optionsOf(page.html)));
    const tokens = await rp.finish(expectCallback(landing), started);
    const claims = tokens.claims()!;
    expect(claims.amr).toEqual(['swk', 'user', 'mfa']);
    expect(claims.acr).toBe('urn:latchkey:acr:mfa');
    expect(claims.email).toBe('pia@example.com');
    expect(user.visited.some((url) => url.endsWith('/password'))).toBe(false);
    const audit = await lastAudit(server, 'login.passkey');
    expect(audit).toEqual({ outcome: 'success', reasons: ['passkey', 'attestation not verified'] });
    const complete = await lastAudit(server, 'login.complete');
    expect(complete?.reasons).toEqual(['acr urn:latchkey:acr:mfa', 'amr swk,user,mfa']);
  });

  describe('refuses an assertion, with its code, and moves no counter', () => {
    const cases: Array<[string, string, (options: { challenge: string }) => unknown]> = [
      ['from another origin', 'ERR_PASSKEY_ORIGIN', (o) => authenticator.assert(o, { origin: 'https://evil.example' })],
      ['for another RP ID', 'ERR_PASSKEY_RP_ID', (o) => authenticator.assert(o, { rpId: 'evil.example' })],
      ['without user verification', 'ERR_PASSKEY_USER_VERIFICATION', (o) => authenticator.assert(o, { uv: false })],
      ['whose counter went backwards', 'ERR_PASSKEY_COUNTER', (o) => authenticator.assert(o, { counter: 1 })],
      [
        'with a tampered signature',
        'ERR_PASSKEY_SIGNATURE',
        (o) => {
          const a = authenticator.assert(o);
          const signature = Buffer.from(a.response.signature, 'base64url');
          signature.writeUInt8(signature.readUInt8(signature.length - 1) ^ 0x01, signature.length - 1);
          return { ...a, response: { ...a.response, signature: signature.toString('base64url') } };
        },
      ],
      ['that is not JSON', 'ERR_PASSKEY_MALFORMED', () => '{"id": '],
      [
        'whose fields are not base64url',
        'ERR_PASSKEY_MALFORMED',
        (o) => ({ ...authenticator.assert(o), rawId: 'not base64url!', id: 'not base64url!' }),
      ],
      [
        'whose authenticator data is not valid',
        'ERR_PASSKEY_MALFORMED',
        (o) => {
          const a = authenticator.assert(o);
          return { ...a, response: { ...a.response, authenticatorData: 'AAAA' } };
        },
      ],
      [
        'signed for another challenge',
        'ERR_PASSKEY_CHALLENGE',
        (o) => authenticator.assert(o, { challenge: 'b3RoZXItY2hhbGxlbmdl' }),
      ],
    ];
    it.each(cases)('%s (%s)', async (_what, code, make) => {
      const before = await counterOf();
      const { user, page } = await loginPage();
      const landing = await postAssertion(user, server, page, make(optionsOf(page.html)));
      expect(landing.kind).toBe('page');
      expect(pageOf(landing).status).toBeGreaterThanOrEqual(400);
      expect(pageOf(landing).html).toContain('role="alert"');
      expect((await lastAudit(server, 'login.passkey'))?.reasons[0]).toBe(code);
      expect(await counterOf()).toBe(before);
    });
  });

  it('refuses a replayed assertion and a challenge from another sign-in', async () => {
    const first = await loginPage();
    const assertion = authenticator.assert(optionsOf(first.page.html));
    expectCallback(await postAssertion(first.user, server, first.page, assertion));
    const second = await loginPage();
    // The same response again, in a new sign-in: its challenge was used (and was another sign-in's).
    const replayed = await postAssertion(second.user, server, second.page, assertion);
    expect(pageOf(replayed).status).toBe(400);
    expect((await lastAudit(server, 'login.passkey'))?.reasons[0]).toBe('ERR_PASSKEY_CHALLENGE');
    // A live challenge issued to another interaction is refused too.
    const third = await loginPage();
    const foreign = authenticator.assert(optionsOf(third.page.html));
    const fourth = await loginPage();
    expect(pageOf(await postAssertion(fourth.user, server, fourth.page, foreign)).status).toBe(400);
    expect((await lastAudit(server, 'login.passkey'))?.reasons[0]).toBe('ERR_PASSKEY_CHALLENGE');
  });

  it('refuses an expired passkey and a deleted one with a message saying how to register again', async () => {
    const db = server.app.services.db;
    await db('passkeys')
      .where({ credential_id: authenticator.id })
      .update({ expires_at: Date.now() - 1000 });
    try {
      const { user, page } = await loginPage();
      const landing = pageOf(await postAssertion(user, server, page, authenticator.assert(optionsOf(page.html))));
      expect(landing.status).toBe(401);
      expect(landing.html).toContain('This passkey has expired');
      expect(landing.html).toContain('register a passkey again on your account page');
      expect((await lastAudit(server, 'login.passkey'))?.reasons[0]).toBe('ERR_PASSKEY_EXPIRED');
    } finally {
      await db('passkeys')
        .where({ credential_id: authenticator.id })
        .update({ expires_at: Date.now() + 86_400_000 });
    }
    const gone = softAuthenticator(server);
    const { user, page } = await loginPage();
    const landing = pageOf(await postAssertion(user, server, page, gone.assert(optionsOf(page.html))));
    expect(landing.status).toBe(401);
    expect(landing.html).toContain('it may have been deleted');
    expect((await lastAudit(server, 'login.passkey'))?.reasons[0]).toBe('ERR_PASSKEY_UNKNOWN');
  });

  describe('refuses a registration, with its code, and stores nothing', () => {
    const cases: Array<[string, string, (a: SoftAuthenticator, o: ReturnType<typeof optionsOf>) => unknown]> = [
      ['from another origin', 'ERR_PASSKEY_ORIGIN', (a, o) => a.register(o, { origin: 'https://evil.example' })],
      ['for another RP ID', 'ERR_PASSKEY_RP_ID', (a, o) => a.register(o, { rpId: 'evil.example' })],
      ['without user verification', 'ERR_PASSKEY_USER_VERIFICATION', (a, o) => a.register(o, { uv: false })],
      ['that is not JSON', 'ERR_PASSKEY_MALFORMED', () => 'not json'],
      [
        'whose attestation object is not CBOR',
        'ERR_PASSKEY_MALFORMED',
        (a, o) => {
          const r = a.register(o);
          return {
            ...r,
            response: { ...r.response, attestationObject: Buffer.from('not cbor at all').toString('base64url') },
          };
        },
      ],
      ['whose fields are not base64url', 'ERR_PASSKEY_MALFORMED', (a, o) => ({ ...a.register(o), id: '***' })],
      ['signed for another challenge', 'ERR_PASSKEY_CHALLENGE', (a, o) => a.register(o, { challenge: 'b3RoZXI' })],
    ];
    it.each(cases)('%s (%s)', async (_what, code, make) => {
      const before = await passkeyRows(server);
      const page = await registrationPage(account, server);
      const response = await postRegistration(
        account,
        server,
        page,
        make(softAuthenticator(server), optionsOf(page.html)),
      );
      expect(response.status).toBe(400);
      expect(await response.text()).toContain('role="alert"');
      expect((await lastAudit(server, 'passkey.register'))?.reasons[0]).toBe(code);
      expect(await passkeyRows(server)).toBe(before);
    });

    it('replayed: the same registration response twice stores one passkey', async () => {
      const fresh = softAuthenticator(server);
      const page = await registrationPage(account, server);
      const response = fresh.register(optionsOf(page.html));
      const before = await passkeyRows(server);
      expect((await postRegistration(account, server, page, response)).status).toBe(303);
      expect((await postRegistration(account, server, page, response)).status).toBe(400);
      expect((await lastAudit(server, 'passkey.register'))?.reasons[0]).toBe('ERR_PASSKEY_CHALLENGE');
      expect(await passkeyRows(server)).toBe(before + 1);
    });

    it('excludes the credentials already registered from the options, and refuses one registered again', async () => {
      const page = await registrationPage(account, server);
      const options = optionsOf(page.html);
      expect(options.excludeCredentials?.map((c) => c.id)).toContain(authenticator.id);
      const before = await passkeyRows(server);
      const response = await postRegistration(account, server, page, authenticator.register(options));
      expect(response.status).toBe(400);
      expect((await lastAudit(server, 'passkey.register'))?.reasons[0]).toBe('ERR_PASSKEY_EXCLUDED');
      expect(await passkeyRows(server)).toBe(before);
    });
  });

  describe('on the account page', () => {
    it('lists, renames and, after re-authentication, deletes a passkey; its sessions stop working', async () => {
      const spare = softAuthenticator(server);
      await registerWith(account, server, spare);
      const row = await server.app.services.db('passkeys').where({ credential_id: spare.id }).first();
      const listed = pageOf(await account.go(`${server.issuer}/account`));
      expect(listed.html).toContain('Passkeys');
      expect(listed.html).toContain(`/account/passkeys/${row.id}/delete`);

      const csrf = /name="csrf" value="([^"]+)"/.exec(listed.html)![1]!;
      const renamed = await account.request(`${server.issuer}/account/passkeys/${row.id}/rename`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ csrf, name: 'Spare key' }).toString(),
      });
      expect(renamed.status).toBe(303);
      expect((await server.app.services.db('passkeys').where({ id: row.id }).first()).name).toBe('Spare key');

      // A sign-in with it, and a token of that session.
      const { user, started, page } = await loginPage();
      const tokens = await rp.finish(
        expectCallback(await postAssertion(user, server, page, spare.assert(optionsOf(page.html)))),
        started,
      );
      const { fetchUserInfo } = await import('openid-client');
      const sub = tokens.claims()!.sub;
      await expect(fetchUserInfo(rp.config, tokens.access_token, sub)).resolves.toMatchObject({ sub });

      // Deleting asks first, and only a fresh password + TOTP sign-in may.
      const confirm = pageOf(await account.go(`${server.issuer}/account/passkeys/${row.id}/delete`));
      expect(confirm.html).toContain('Delete Spare key?');
      const deleted = await account.request(`${server.issuer}/account/passkeys/${row.id}/delete`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ csrf: /name="csrf" value="([^"]+)"/.exec(confirm.html)![1]! }).toString(),
      });
      expect(deleted.status).toBe(303);
      expect(await server.app.services.db('passkeys').where({ id: row.id }).first()).toBeUndefined();
      expect(await lastAudit(server, 'passkey.delete')).toEqual({
        outcome: 'success',
        reasons: ['deleted by its owner'],
      });
      // The session the deleted passkey proved no longer backs its tokens.
      expect(await oauthError(fetchUserInfo(rp.config, tokens.access_token, sub))).toEqual({
        status: 401,
        error: 'invalid_token',
      });
    });

    it('sends a session whose password and TOTP are too old through a new sign-in before deleting', async () => {
      const db = server.app.services.db;
      const sessions = await db('session_proofs').where({
        account_id: (await server.app.services.users.require('pia')).id,
      });
      const saved = sessions.map((r) => ({ uid: r.session_uid as string, proofs: r.proofs as string }));
      for (const r of saved) {
        const aged = (JSON.parse(r.proofs) as Array<{ at: number }>).map((p) => ({ ...p, at: p.at - 3600 }));
        await db('session_proofs')
          .where({ session_uid: r.uid })
          .update({ proofs: JSON.stringify(aged) });
      }
      try {
        const response = await account.request(`${server.issuer}/account/passkeys/${authenticator.id}/delete`);
        // Not found first (that id is a credential id, not ours), so try a real one.
        expect(response.status).toBe(404);
        const row = await db('passkeys').where({ credential_id: authenticator.id }).first();
        const stale = await account.request(`${server.issuer}/account/passkeys/${row.id}/delete`);
        expect(stale.status).toBe(302);
        const location = new URL(stale.headers.get('location')!, server.issuer);
        expect(location.pathname).toBe('/auth');
        expect(location.searchParams.get('prompt')).toBe('login');
        expect(location.searchParams.get('acr_values')).toBe('urn:latchkey:acr:mfa');
        const registration = await account.request(`${server.issuer}/account/passkeys/new`);
        expect(registration.status).toBe(302);
      } finally {
        for (const r of saved) await db('session_proofs').where({ session_uid: r.uid }).update({ proofs: r.proofs });
      }
    });
  });
});
