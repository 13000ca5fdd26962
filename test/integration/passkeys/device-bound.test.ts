// What a passkey proves about the device: registered in a session that proved an enrolled device (device
// check over mutual TLS), a non-synced passkey is bound to that device and later proves it on its own
// (device: trusted, acr device, a factor client with no password page); a synced one never does. And the
// single-use challenges under concurrency.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { newDeviceKey } from '../../../src/agent/keys.js';
import { backendName } from '../../helpers/backend.js';
import { HttpUser, expectCallback } from '../../helpers/http-user.js';
import { relyingParty, REDIRECT_URI, type RelyingParty } from '../../helpers/rp.js';
import { startServer, type TestServer } from '../../helpers/server.js';
import type { SoftAuthenticator } from '../../helpers/soft-authenticator.js';
import { mutualTlsFetch } from '../device-trust/helpers.js';
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

const POLICIES = `
default:
  first_party: allow
  third_party: allow
  factor: deny
policies:
  - name: account-page-checks-the-device
    state: enabled
    targets: { clients: [latchkey-account] }
    conditions: { device: [unmanaged] }
    outcome: deny
  - name: intranet-trusted-devices-only
    state: enabled
    targets: { clients: [intranet] }
    conditions: { device: [unmanaged, managed] }
    outcome: deny
    description: The intranet is open only from trusted devices.
  - name: vault-needs-a-device-bound-passkey
    state: enabled
    targets: { clients: [vault] }
    outcome: allow
    require: device_bound_passkey
  - name: factor-from-trusted-devices
    state: enabled
    targets: { client_types: [factor] }
    conditions: { device: [trusted] }
    outcome: allow
`;

describe(`device-bound passkeys [${backendName()}]`, () => {
  let server: TestServer;
  let deviceId: string;
  let deviceFetch: ReturnType<typeof mutualTlsFetch>;
  let bound: SoftAuthenticator;
  let synced: SoftAuthenticator;
  /** dana on /account, signed in with password and TOTP on the device (fresh for the whole file). */
  let account: HttpUser;
  const rps: Record<string, RelyingParty> = {};

  beforeAll(async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'latchkey-passkeys-')), 'policies.yaml');
    writeFileSync(file, POLICIES);
    server = await startServer({ policies: { file } });
    const { totpSecret } = await server.addUser('dana', { totp: true });
    for (const [clientId, kind] of [
      ['intranet', 'first_party'],
      ['vault', 'first_party'],
      ['okta', 'factor'],
    ] as const) {
      const client = await server.addClient({ name: clientId, clientId, kind, redirectUri: [REDIRECT_URI] });
      rps[clientId] = await relyingParty(server, client.clientId, client.clientSecret);
    }
    // An enrolled, trusted device (secure boot on), through the real enrollment service.
    const trust = server.app.services.deviceTrust;
    await trust.initCa({ actor: 'test' });
    const { token } = await trust.createEnrollmentToken('dana', { actor: 'test' });
    const key = await newDeviceKey('dana-laptop');
    const issued = await trust.enroll({
      token,
      csr: key.csrPem,
      posture: { platform: 'linux', osVersion: '6.1', hostname: 'dana-laptop', integrity: 'secure-boot-on' },
    });
    deviceId = issued.deviceId;
    deviceFetch = mutualTlsFetch(server, {
      certificatePem: issued.certificatePem,
      chainPem: issued.chainPem,
      privateKeyPem: key.privateKeyPem,
    });
    // The account page checks the device, so this session proves it: both passkeys are registered on it.
    account = await accountUser(server, 'dana', totpSecret!, deviceFetch.fetch);
    bound = softAuthenticator(server);
    synced = softAuthenticator(server, { backupEligible: true, counter: 0 });
    await registerWith(account, server, bound);
    await registerWith(account, server, synced);
  });
  afterAll(async () => {
    await deviceFetch?.close();
    await server?.close();
  });

  /** A browser on the device but without its certificate (the passkey alone must prove the device). */
  async function start(clientId: string) {
    const user = new HttpUser(server.fetch, server.issuer);
    user.onDevice(mutualTlsFetch(server, null).fetch);
    const started = await rps[clientId]!.start();
    return { user, started, landing: await user.go(started.url) };
  }

  it('binds the non-synced passkey to the device the session proved, and the synced one to nothing it proves', async () => {
    const rows = await server.app.services.db('passkeys').orderBy('created_at');
    expect(rows.map((r) => [r.device_id, Boolean(r.backup_eligible)])).toEqual([
      [deviceId, false],
      [deviceId, true],
    ]);
    const account = pageOf(await new HttpUser(server.fetch, server.issuer).go(`${server.issuer}/account`));
    expect(account.status).toBe(200);
  });

  it('meets device: trusted with the device-bound passkey alone: acr device, the device in the audit entry', async () => {
    const { user, started, landing } = await start('intranet');
    const page = pageOf(landing);
    // The device check found no certificate; the deny is not final while a device-bound passkey can prove it.
    expect(page.html).toContain('Use the passkey you registered on this device');
    const callback = expectCallback(await postAssertion(user, server, page, bound.assert(optionsOf(page.html))));
    const claims = (await rps.intranet!.finish(callback, started)).claims()!;
    expect(claims.acr).toBe('urn:latchkey:acr:device');
    expect(claims.amr).toEqual(['swk', 'user', 'mfa']);
    const [complete] = await server.app.services.audit.search({ event: 'login.complete', limit: 1 });
    expect(complete?.deviceId).toBe(deviceId);
    expect((await lastAudit(server, 'login.passkey'))?.reasons).toEqual([
      'device_bound_passkey',
      'attestation not verified',
    ]);
  });

  it('does not let a synced passkey prove the device: the deny stands once declined', async () => {
    const { user, landing } = await start('intranet');
    const page = pageOf(landing);
    const refused = pageOf(await postAssertion(user, server, page, synced.assert(optionsOf(page.html))));
    expect(refused.status).toBe(403);
    expect((await lastAudit(server, 'login.passkey'))?.reasons[0]).toBe('ERR_PASSKEY_NOT_DEVICE_BOUND');
    const declined = expectCallback(await user.submit(refused, '/device_bound_passkey', { decline: '1' }));
    expect(declined.searchParams.get('error')).toBe('access_denied');
    expect(declined.searchParams.get('error_description')).toContain('The intranet is open only from trusted devices.');
  });

  it('refuses a synced passkey where a policy requires a device-bound one', async () => {
    const { user, landing } = await start('vault');
    // The login page offers passkeys; the synced one identifies dana but cannot meet the requirement.
    const login = pageOf(landing);
    const next = pageOf(await postAssertion(user, server, login, synced.assert(optionsOf(login.html))));
    expect(next.html).toContain('Use the passkey you registered on this device');
    const refused = pageOf(await postAssertion(user, server, next, synced.assert(optionsOf(next.html))));
    expect(refused.status).toBe(403);
    expect(refused.html).toContain('needs a passkey bound to a device enrolled with Latchkey');
    expect((await lastAudit(server, 'login.passkey'))?.reasons[0]).toBe('ERR_PASSKEY_NOT_DEVICE_BOUND');
    // The device-bound one meets it.
    const callback = expectCallback(await postAssertion(user, server, refused, bound.assert(optionsOf(refused.html))));
    expect(callback.searchParams.get('code')).toBeTruthy();
  });

  it('signs a factor client in with the device-bound passkey and never shows a password page', async () => {
    const { user, started, landing } = await start('okta');
    const page = pageOf(landing);
    expect(page.html).not.toContain('name="password"');
    const callback = expectCallback(await postAssertion(user, server, page, bound.assert(optionsOf(page.html))));
    const claims = (await rps.okta!.finish(callback, started)).claims()!;
    expect(claims.acr).toBe('urn:latchkey:acr:device');
    expect(user.visited.some((url) => url.endsWith('/password'))).toBe(false);
  });

  it('asks again, and refuses the passkey, once its device is revoked', async () => {
    const { user, started, landing } = await start('intranet');
    const page = pageOf(landing);
    const callback = expectCallback(await postAssertion(user, server, page, bound.assert(optionsOf(page.html))));
    const tokens = await rps.intranet!.finish(callback, started);
    expect(tokens.access_token).toBeTruthy();
    const db = server.app.services.db;
    await db('devices').where({ id: deviceId }).update({ status: 'revoked', revoked_at: Date.now() });
    try {
      const again = await rps.intranet!.start();
      const landed = await user.go(again.url);
      // The session no longer proves the device: a new sign-in is needed, and this passkey is refused now.
      const retry = pageOf(landed);
      const refused = pageOf(await postAssertion(user, server, retry, bound.assert(optionsOf(retry.html))));
      expect((await lastAudit(server, 'login.passkey'))?.reasons[0]).toBe('ERR_PASSKEY_DEVICE_REVOKED');
      expect(refused.html).toContain('register a passkey again');
    } finally {
      await db('devices').where({ id: deviceId }).update({ status: 'active', revoked_at: null });
    }
  });

  describe('single-use challenges under concurrency', () => {
    it('lets exactly one of 8 parallel assertions with one challenge through', async () => {
      const { user, landing } = await start('intranet');
      const page = pageOf(landing);
      const assertion = bound.assert(optionsOf(page.html));
      const results = await Promise.all(Array.from({ length: 8 }, () => postAssertion(user, server, page, assertion)));
      expect(results.filter((r) => r.kind === 'callback')).toHaveLength(1);
    });

    it('stores exactly one of 8 parallel registrations with one challenge', async () => {
      const page = await registrationPage(account, server);
      const options = optionsOf(page.html);
      const before = await passkeyRows(server);
      const responses = await Promise.all(
        Array.from({ length: 8 }, () =>
          postRegistration(account, server, page, softAuthenticator(server).register(options)),
        ),
      );
      expect(responses.filter((r) => r.status === 303)).toHaveLength(1);
      expect(await passkeyRows(server)).toBe(before + 1);
    });
  });
});
