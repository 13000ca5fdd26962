// The device certificate at sign-in, over real TLS with Node clients presenting real certificates from the
// server's own CA: the hand-off through the device-check listener and back, device-first sign-in, each
// kind of certificate that must prove nothing (with its code in the audit log and a reason the person can
// act on), the single-use references, and tokens that follow the device afterwards.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { toPem } from '../../../src/trust/pem.js';
import { issueDeviceCertificate } from '../../../src/trust/ca/issue.js';
import { x509 } from '../../../src/trust/x509.js';
import { backendName } from '../../helpers/backend.js';
import { expectCallback, HttpUser, type Landing } from '../../helpers/http-user.js';
import { oauthError, relyingParty, REDIRECT_URI, type RelyingParty } from '../../helpers/rp.js';
import { PASSWORD, startServer, type TestServer } from '../../helpers/server.js';
import { craftCertificate, ecKeys, makeCa } from '../../unit/trust/fixtures.js';
import { adminCli, deviceBrowsers, enrolledDevice, serverCa, type DeviceCredentials } from './helpers.js';

const POLICIES = `
default: allow
policies:
  - name: managed-devices-only
    description: Only devices enrolled with Latchkey may open this application.
    state: enabled
    targets: { clients: [__DEVICE_APP__] }
    conditions: { device: [unmanaged] }
    outcome: deny
  - name: vault-needs-device
    state: enabled
    targets: { clients: [__VAULT__] }
    outcome: allow
    require: device_certificate
  - name: kiosk-device-alone
    state: enabled
    targets: { clients: [__KIOSK__] }
    conditions: { device: [trusted] }
    outcome: allow
    sign_in_with: [device_certificate]
`;

describe(`device certificate at sign-in [${backendName()}]`, () => {
  let server: TestServer;
  let deviceApp: RelyingParty;
  let vault: RelyingParty;
  let kiosk: RelyingParty;
  let alice: DeviceCredentials;
  let browsers: ReturnType<typeof deviceBrowsers>;

  beforeAll(async () => {
    server = await startServer({ cluster: { poll_seconds: 0.2 } });
    await server.app.services.deviceTrust.initCa({ actor: 'test' });
    const app = await server.addClient({
      name: 'Device app',
      redirectUri: [REDIRECT_URI],
      grantType: ['authorization_code', 'refresh_token'],
    });
    const vaultClient = await server.addClient({ name: 'Vault', redirectUri: [REDIRECT_URI] });
    const kioskClient = await server.addClient({ name: 'Kiosk', redirectUri: [REDIRECT_URI] });
    const file = path.join(server.dataDir, 'policies.yaml');
    writeFileSync(
      file,
      POLICIES.replace('__DEVICE_APP__', app.clientId)
        .replace('__VAULT__', vaultClient.clientId)
        .replace('__KIOSK__', kioskClient.clientId),
    );
    await adminCli(server, { LATCHKEY_POLICIES: file })(['policy', 'reload']);
    await server.app.syncCluster();
    deviceApp = await relyingParty(server, app.clientId, app.clientSecret);
    vault = await relyingParty(server, vaultClient.clientId, vaultClient.clientSecret);
    kiosk = await relyingParty(server, kioskClient.clientId, kioskClient.clientSecret);
    await server.addUser('alice');
    await server.addUser('bob');
    alice = await enrolledDevice(server, 'alice');
    browsers = deviceBrowsers(server);
  });
  afterAll(async () => {
    await browsers?.close();
    await server?.close();
  });

  /** A browser on a device holding `credentials` (or on no enrolled device). */
  const browserOn = (credentials: Parameters<ReturnType<typeof deviceBrowsers>['on']>[0]) => browsers.on(credentials);

  const events = (event: string) => server.app.services.audit.search({ event, limit: 50 });

  function errorOf(landing: Landing): { error: string | null; description: string | null } {
    const callback = expectCallback(landing);
    return { error: callback.searchParams.get('error'), description: callback.searchParams.get('error_description') };
  }

  it('checks the device before asking for a password, then signs its owner in with both', async () => {
    const browser = browserOn(alice);
    const started = await deviceApp.start();
    const landing = await browser.signIn(started.url, { username: 'alice', password: PASSWORD });
    const tokens = await deviceApp.finish(expectCallback(landing), started);
    const claims = tokens.claims()!;
    expect(claims.amr).toEqual(expect.arrayContaining(['pop', 'swk', 'pwd', 'mfa']));
    expect(claims.acr).toBe('urn:latchkey:acr:device');
    // The device check ran first: the listener was visited before the password page was posted.
    const listener = browser.visited.findIndex((url) => url.includes('/device/sign-in?ref='));
    const password = browser.visited.findIndex((url) => url.endsWith('/password'));
    expect(listener).toBeGreaterThan(-1);
    expect(listener).toBeLessThan(password);
    const [check] = await events('login.device_certificate');
    expect(check).toMatchObject({ outcome: 'success', deviceId: alice.deviceId });
    const [complete] = await events('login.complete');
    expect(complete).toMatchObject({ outcome: 'success', deviceId: alice.deviceId });
  });

  it('refuses a browser without a certificate before any password, with a reason, at the redirect_uri', async () => {
    const browser = browserOn(null);
    const started = await deviceApp.start();
    const landing = await browser.go(started.url);
    expect(errorOf(landing)).toEqual({
      error: 'access_denied',
      description:
        'Only devices enrolled with Latchkey may open this application. No device certificate was presented: this browser is not on a device enrolled with Latchkey.',
    });
    expect(expectCallback(landing).searchParams.get('state')).toBe(started.state);
    expect(browser.visited.some((url) => url.endsWith('/password'))).toBe(false);
  });

  it('meets a require: device_certificate after the password, and reaches acr_values device', async () => {
    const browser = browserOn(alice);
    const started = await vault.start({ acr_values: 'urn:latchkey:acr:device' });
    const tokens = await vault.finish(
      expectCallback(await browser.signIn(started.url, { username: 'alice', password: PASSWORD })),
      started,
    );
    expect(tokens.claims()).toMatchObject({ acr: 'urn:latchkey:acr:device' });
  });

  it('advertises urn:latchkey:acr:device in discovery', () => {
    expect(vault.config.serverMetadata().acr_values_supported).toContain('urn:latchkey:acr:device');
  });

  it('signs the owner of a trusted device in with the device alone where a policy says sign_in_with', async () => {
    const browser = browserOn(alice);
    const started = await kiosk.start();
    const tokens = await kiosk.finish(expectCallback(await browser.go(started.url)), started);
    expect(tokens.claims()).toMatchObject({ sub: expect.any(String), acr: 'urn:latchkey:acr:device' });
    expect(tokens.claims()!.amr).toEqual(['pop', 'swk']);
    expect(browser.visited.some((url) => url.endsWith('/password'))).toBe(false);
    // Without a device the same application asks for the password as usual.
    const elsewhere = await browserOn(null).go((await kiosk.start()).url);
    if (elsewhere.kind !== 'page') throw new Error('expected the sign-in page');
    expect(elsewhere.page.html).toContain('name="password"');
  });

  it("refuses another user's device once a user is identified", async () => {
    await enrolledDevice(server, 'bob'); // bob has a device of his own, so his sign-in checks the device
    const browser = browserOn(alice);
    const started = await vault.start();
    const landing = await browser.signIn(started.url, { username: 'bob', password: PASSWORD });
    const { error, description } = errorOf(landing);
    expect(error).toBe('access_denied');
    expect(description).toContain('This device is enrolled to another person’s account.');
    const [check] = await events('login.device_certificate');
    expect(check).toMatchObject({ outcome: 'failure', reasons: ['ERR_DEVICE_OTHER_USER'] });
  });

  describe('certificates that prove nothing', () => {
    const signInWith = async (credentials: Parameters<typeof browserOn>[0]) => {
      const started = await deviceApp.start();
      return errorOf(await browserOn(credentials).go(started.url));
    };
    const keyPem = async (keys: CryptoKeyPair) =>
      toPem(await globalThis.crypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY');
    const lastCheck = async () => (await events('login.device_certificate'))[0];
    /** Extensions of a device certificate naming alice's device, with the given extended key usages. */
    const deviceExtensions = (...usages: string[]) => [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension(usages),
      new x509.SubjectAlternativeNameExtension([{ type: 'url', value: `urn:latchkey:device:${alice.deviceId}` }]),
    ];

    it.each([
      ['expired', -60, -30, 'ERR_CERT_EXPIRED', 'has expired'],
      ['not yet valid', 30, 60, 'ERR_CERT_NOT_YET_VALID', 'not valid yet'],
    ])('refuses a certificate that is %s', async (_name, fromDay, toDay, code, words) => {
      const ca = await serverCa(server);
      const keys = await ecKeys();
      const day = 86_400_000;
      const crafted = await craftCertificate({
        issuer: ca.intermediate,
        subject: 'CN=Latchkey Device Trust Certificate – 00000000',
        keys,
        notBefore: new Date(Date.now() + fromDay * day),
        notAfter: new Date(Date.now() + toDay * day),
        extensions: deviceExtensions(x509.ExtendedKeyUsage.clientAuth),
      });
      const answer = await signInWith({
        certificatePem: crafted.certificate.toString('pem'),
        chainPem: [],
        privateKeyPem: await keyPem(keys),
      });
      expect(answer.error).toBe('access_denied');
      expect(answer.description).toContain(words);
      expect((await lastCheck())?.reasons[0]).toBe(code);
    });

    it.each([
      ['a server-auth EKU instead of clientAuth', 'intermediate', [x509.ExtendedKeyUsage.serverAuth], 'ERR_CERT_EKU'],
      ['a leaf signed by the root itself', 'root', [x509.ExtendedKeyUsage.clientAuth], 'ERR_CERT_UNTRUSTED_CHAIN'],
      ['a self-signed look-alike', 'self', [x509.ExtendedKeyUsage.clientAuth], 'ERR_CERT_UNTRUSTED_CHAIN'],
    ])('refuses %s', async (_name, issuer, usages, code) => {
      const ca = await serverCa(server);
      const keys = await ecKeys();
      const crafted = await craftCertificate({
        issuer: issuer === 'self' ? 'self' : ca[issuer as 'root' | 'intermediate'],
        subject:
          issuer === 'self' ? ca.intermediate.certificate.subject : 'CN=Latchkey Device Trust Certificate – 00000000',
        keys,
        notBefore: new Date(Date.now() - 86_400_000),
        notAfter: new Date(Date.now() + 86_400_000),
        extensions: deviceExtensions(...usages),
      });
      const answer = await signInWith({
        certificatePem: crafted.certificate.toString('pem'),
        chainPem: [],
        privateKeyPem: await keyPem(keys),
      });
      expect(answer.error).toBe('access_denied');
      expect(answer.description).toContain('not a valid Latchkey device certificate');
      expect((await lastCheck())?.reasons[0]).toBe(code);
    });

    it('refuses a certificate from another CA that uses our names', async () => {
      const other = await makeCa(new Date());
      const keys = await ecKeys();
      const issued = await issueDeviceCertificate({
        ca: other.ca,
        publicKey: keys.publicKey,
        deviceId: alice.deviceId,
        now: new Date(),
        crlUrl: `${server.issuer}/device/crl`,
      });
      const answer = await signInWith({
        certificatePem: issued.certificatePem,
        chainPem: issued.chainPem,
        privateKeyPem: await keyPem(keys),
      });
      expect(answer.error).toBe('access_denied');
      expect((await lastCheck())?.reasons[0]).toBe('ERR_CERT_UNTRUSTED_CHAIN');
    });

    it('refuses a revoked certificate, telling the person to ask for a new enrollment', async () => {
      const device = await enrolledDevice(server, 'alice');
      await server.app.services.deviceTrust.revokeCertificate(device.serial, {
        reason: 'keyCompromise',
        actor: 'test',
      });
      const answer = await signInWith(device);
      expect(answer.description).toContain(
        'certificate was revoked: ask your administrator for a new enrollment token',
      );
      expect((await lastCheck())?.reasons[0]).toBe('ERR_CERT_REVOKED');
    });

    it("refuses a disabled owner's device", async () => {
      await server.addUser('carol');
      const device = await enrolledDevice(server, 'carol');
      const carol = (await server.app.services.users.findByUsername('carol'))!;
      await server.app.services.users.setDisabled(carol.id, true);
      const answer = await signInWith(device);
      expect(answer.error).toBe('access_denied');
      expect((await lastCheck())?.reasons[0]).toBe('ERR_USER_DISABLED');
    });

    it('treats every device as unmanaged while distribution is off', async () => {
      await server.app.services.deviceTrust.setDistribution(false, { actor: 'test' });
      try {
        const answer = await signInWith(alice);
        expect(answer.description).toContain('Device certificates are switched off by your administrator.');
        expect((await lastCheck())?.reasons[0]).toBe('ERR_DEVICE_DISTRIBUTION_OFF');
      } finally {
        await server.app.services.deviceTrust.setDistribution(true, { actor: 'test' });
      }
    });
  });

  describe('hand-off references', () => {
    /** Follows a sign-in until the device-check listener sends the browser back; returns that return URL. */
    async function returnUrl(browser: HttpUser): Promise<{ url: string; state: string }> {
      const started = await deviceApp.start();
      const first = await browser.request(started.url);
      const interaction = new URL(first.headers.get('location')!, server.issuer).toString();
      const toListener = (await browser.request(interaction)).headers.get('location')!;
      expect(toListener).toContain('/device/sign-in?ref=');
      const back = (await browser.request(toListener)).headers.get('location')!;
      expect(back).toContain('/device_certificate/return?ref=');
      return { url: back, state: started.state };
    }

    it('refuses a reference to the device-check listener that was already used', async () => {
      const browser = browserOn(alice);
      const started = await deviceApp.start();
      const interaction = new URL((await browser.request(started.url)).headers.get('location')!, server.issuer);
      const toListener = (await browser.request(interaction.toString())).headers.get('location')!;
      expect((await browser.request(toListener)).status).toBe(303);
      const replay = await browser.request(toListener);
      expect(replay.status).toBe(400);
      expect(await replay.text()).toContain('This device check has expired or was already used');
    });

    it('accepts a return reference once: a replay proves nothing and the check starts over, never looping', async () => {
      const browser = browserOn(alice);
      const { url } = await returnUrl(browser);
      const proven = await browser.request(url);
      expect(proven.status).toBe(200); // proven: the password page follows
      expect(await proven.text()).toContain('name="password"');
      const replay = await browser.request(url);
      // Refused (ERR_DEVICE_CHECK_REFERENCE): the interaction sends the browser to check again.
      expect(replay.headers.get('location')).toContain('/device/sign-in?ref=');
      const [check] = await events('login.device_certificate');
      expect(check).toMatchObject({ outcome: 'failure', reasons: ['ERR_DEVICE_CHECK_REFERENCE'] });
    });

    it("refuses another interaction's return reference", async () => {
      const attacker = browserOn(alice);
      const stolen = await returnUrl(attacker);
      const victim = browserOn(null);
      const started = await deviceApp.start();
      const interaction = new URL((await victim.request(started.url)).headers.get('location')!, server.issuer);
      await victim.request(interaction.toString());
      const uid = interaction.pathname.split('/')[2]!;
      const ref = new URL(stolen.url).searchParams.get('ref')!;
      const landing = await victim.go(`${server.issuer}/interaction/${uid}/device_certificate/return?ref=${ref}`);
      // The victim's sign-in does not get the attacker's device; it ends (no certificate here) with a denial.
      expect(errorOf(landing).error).toBe('access_denied');
    });

    it('settles after a few failed hand-offs instead of looping', async () => {
      const browser = browserOn(alice);
      const started = await deviceApp.start();
      let url = new URL((await browser.request(started.url)).headers.get('location')!, server.issuer).toString();
      let hops = 0;
      // Drop every return reference on the floor (a broken or malicious browser): each attempt fails.
      for (; hops < 20; hops += 1) {
        const response = await browser.request(url);
        const location = response.headers.get('location');
        if (!location) break;
        const next = new URL(location, url);
        if (next.pathname.endsWith('/device_certificate/return')) next.searchParams.set('ref', 'forged');
        if (next.hostname !== 'localhost') {
          url = next.toString();
          break;
        }
        url = next.toString();
      }
      expect(hops).toBeLessThan(20);
      expect(new URL(url).origin).toBe('https://rp.example.test');
      expect(new URL(url).searchParams.get('error')).toBe('access_denied');
    });
  });

  describe('tokens follow the device', () => {
    async function deviceSession(device: DeviceCredentials) {
      const browser = browserOn(device);
      const started = await deviceApp.start({ scope: 'openid offline_access', prompt: 'consent' });
      const tokens = await deviceApp.finish(
        expectCallback(await browser.signIn(started.url, { username: 'alice', password: PASSWORD })),
        started,
      );
      return { browser, tokens };
    }

    it('stops refreshing and introspection once the device is revoked, and ends its browser sessions', async () => {
      const device = await enrolledDevice(server, 'alice');
      const { browser, tokens } = await deviceSession(device);
      const refreshed = await oidc.refreshTokenGrant(deviceApp.config, tokens.refresh_token!);
      expect(refreshed.access_token).toBeDefined();
      const introspected = (token: string) =>
        oidc.tokenIntrospection(deviceApp.config, token).then((answer) => answer.active);
      expect(await introspected(refreshed.access_token)).toBe(true);
      await server.app.services.deviceTrust.revokeDevice(device.deviceId, { actor: 'test' });
      // A resource server that introspects sees the revocation too, not only userinfo and the token endpoint.
      expect(await introspected(refreshed.access_token)).toBe(false);
      expect(await introspected(refreshed.refresh_token!)).toBe(false);
      expect(await oauthError(oidc.refreshTokenGrant(deviceApp.config, refreshed.refresh_token!))).toEqual({
        status: 400,
        error: 'invalid_grant',
      });
      expect(
        await oauthError(oidc.fetchUserInfo(deviceApp.config, refreshed.access_token, oidc.skipSubjectCheck)),
      ).toEqual({ status: 401, error: 'invalid_token' });
      const silent = await deviceApp.start({ prompt: 'none' });
      expect(expectCallback(await browser.go(silent.url)).searchParams.get('error')).toBe('login_required');
    });

    it('stops refreshing and introspects tokens as inactive while distribution is off', async () => {
      const device = await enrolledDevice(server, 'alice');
      const { tokens } = await deviceSession(device);
      await server.app.services.deviceTrust.setDistribution(false, { actor: 'test' });
      try {
        expect((await oidc.tokenIntrospection(deviceApp.config, tokens.access_token)).active).toBe(false);
        expect(await oauthError(oidc.refreshTokenGrant(deviceApp.config, tokens.refresh_token!))).toMatchObject({
          error: 'invalid_grant',
        });
      } finally {
        await server.app.services.deviceTrust.setDistribution(true, { actor: 'test' });
      }
    });

    it('does not let tokens outlive the certificate', async () => {
      const device = await enrolledDevice(server, 'alice');
      // The certificate has 100 seconds left.
      const notAfter = Date.now() + 100_000;
      await server.app.services
        .db('device_certificates')
        .where({ serial: device.serial })
        .update({ not_after: notAfter });
      const { tokens } = await deviceSession(device);
      expect(tokens.expires_in).toBeLessThanOrEqual(100);
      // Once it has expired, nothing issued in that session works any more.
      await server.app.services
        .db('device_certificates')
        .where({ serial: device.serial })
        .update({ not_after: Date.now() - 1000 });
      expect(await oauthError(oidc.refreshTokenGrant(deviceApp.config, tokens.refresh_token!))).toMatchObject({
        error: 'invalid_grant',
      });
    });
  });
});
