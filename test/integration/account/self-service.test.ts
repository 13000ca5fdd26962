// What people do for themselves on /account: see the devices enrolled to them (platform, last seen,
// certificate expiry) and remove one, set up an authenticator app with a QR code and a confirmation code,
// and read their activity in words. Changes that matter need a recent sign-in; forms need their CSRF token.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { currentTotp } from '../../../src/credentials/totp.js';
import { backendName } from '../../helpers/backend.js';
import { HttpUser, type Page } from '../../helpers/http-user.js';
import { PASSWORD, startServer, type TestServer } from '../../helpers/server.js';
import { enrolledDevice, type DeviceCredentials } from '../device-trust/helpers.js';

describe(`account page self-service [${backendName()}]`, () => {
  let server: TestServer;
  let laptop: DeviceCredentials;

  beforeAll(async () => {
    server = await startServer({ security: { reauthentication_seconds: 2 } });
    await server.app.services.deviceTrust.initCa({ actor: 'test' });
    await server.addUser('ann');
    await server.addUser('ben');
    laptop = await enrolledDevice(server, 'ann', { platform: 'linux', osVersion: '12', hostname: 'ann-laptop' });
  });
  afterAll(async () => {
    await server?.close();
  });

  async function accountPage(username: string): Promise<{ browser: HttpUser; page: Page }> {
    const browser = new HttpUser(server.fetch, server.issuer);
    const landing = await browser.signIn(`${server.issuer}/account`, { username, password: PASSWORD });
    if (landing.kind !== 'page' || !landing.page.html.includes('Your account'))
      throw new Error('expected the account page');
    return { browser, page: landing.page };
  }

  const text = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');

  it('lists the devices enrolled to the person, with platform and certificate expiry, and activity in words', async () => {
    const { page } = await accountPage('ann');
    const shown = text(page.html);
    expect(shown).toContain('ann-laptop linux 12');
    expect(shown).toMatch(/certificate valid until \d+ \w+ \d{4}/);
    expect(shown).toContain('Signed in to Latchkey account from 127.0.0.1, Linux');
    expect(shown).toContain('A device was enrolled to you');
    expect(shown).not.toContain('login.complete');
  });

  it('removes a device after a recent sign-in, and asks to sign in again when it is not recent', async () => {
    const { browser, page } = await accountPage('ann');
    const removed = await browser.submit(page, `/devices/${laptop.deviceId}/remove`, {});
    if (removed.kind !== 'page') throw new Error('expected the account page');
    expect(removed.page.html).toContain('The device ann-laptop was removed.');
    const device = await server.app.services.deviceTrust.device(laptop.deviceId);
    expect(device.status).toBe('revoked');
    const [audit] = await server.app.services.audit.search({ event: 'account.device.remove' });
    expect(audit).toMatchObject({ outcome: 'success', deviceId: laptop.deviceId, username: 'ann' });

    const other = await enrolledDevice(server, 'ann', { platform: 'linux', hostname: 'ann-desktop' });
    const later = await browser.go(`${server.issuer}/account`);
    if (later.kind !== 'page') throw new Error('expected the account page');
    await new Promise((resolve) => setTimeout(resolve, 3200)); // past security.reauthentication_seconds
    const stale = await browser.submit(later.page, `/devices/${other.deviceId}/remove`, {});
    if (stale.kind !== 'page') throw new Error('expected a page');
    expect(stale.page.html).toContain('For your security, sign in again to remove a device.');
    expect((await server.app.services.deviceTrust.device(other.deviceId)).status).toBe('active');
    // The way back: a fresh sign-in (the password again), then the removal goes through.
    const again = await browser.signIn(`${server.issuer}/account/reauthenticate`, {
      username: 'ann',
      password: PASSWORD,
    });
    if (again.kind !== 'page') throw new Error('expected the account page');
    const done = await browser.submit(again.page, `/devices/${other.deviceId}/remove`, {});
    expect(done.kind === 'page' && done.page.html).toContain('The device ann-desktop was removed.');
  });

  it("refuses to remove someone else's device, and a form without its CSRF token", async () => {
    const bens = await enrolledDevice(server, 'ben', { platform: 'linux', hostname: 'ben-laptop' });
    const { browser, page } = await accountPage('ann');
    const foreign = await browser.go(`${server.issuer}/account/devices/${bens.deviceId}/remove`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf: /name="csrf" value="([^"]+)"/.exec(page.html)![1]! }).toString(),
    });
    expect(foreign.kind === 'page' && foreign.page.status).toBe(404);
    const forged = await browser.go(`${server.issuer}/account/devices/${bens.deviceId}/remove`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'csrf=forged',
    });
    expect(forged.kind === 'page' && forged.page.status).toBe(403);
    expect((await server.app.services.deviceTrust.device(bens.deviceId)).status).toBe('active');
  });

  it('sets up an authenticator app only once a code from it is confirmed', async () => {
    const { browser } = await accountPage('ben');
    const setup = await browser.go(`${server.issuer}/account/totp`);
    if (setup.kind !== 'page') throw new Error('expected the set-up page');
    expect(setup.page.html).toContain('<svg');
    const secret = /<code>([A-Z2-7]+)<\/code>/.exec(setup.page.html)![1]!;
    const reference = (page: Page) => /name="reference" value="([^"]+)"/.exec(page.html)![1]!;
    const wrong = await browser.submit(setup.page, '/account/totp', {
      otp: '000000',
      reference: reference(setup.page),
    });
    if (wrong.kind !== 'page') throw new Error('expected the set-up page');
    expect(wrong.page.status).toBe(400);
    expect(wrong.page.html).toContain('That code is not right');
    expect((await server.app.services.users.findByUsername('ben'))!.totpSecretSealed).toBeNull();

    const confirmed = await browser.submit(wrong.page, '/account/totp', {
      otp: currentTotp(secret, Date.now()),
      reference: reference(wrong.page),
    });
    expect(confirmed.kind === 'page' && confirmed.page.html).toContain('Your authenticator app is set up');
    expect((await server.app.services.users.findByUsername('ben'))!.totpSecretSealed).not.toBeNull();
    // The reference of that set-up is used up.
    const replay = await browser.submit(wrong.page, '/account/totp', {
      otp: currentTotp(secret, Date.now()),
      reference: reference(wrong.page),
    });
    expect(replay.kind === 'page' && replay.page.html).toContain('This set-up has expired');

    // The next sign-in asks for a code from the app.
    const next = new HttpUser(server.fetch, server.issuer);
    const login = await next.go(`${server.issuer}/account`);
    if (login.kind !== 'page') throw new Error('expected the sign-in page');
    const totp = await next.submit(login.page, '/password', { username: 'ben', password: PASSWORD });
    expect(totp.kind === 'page' && totp.page.html).toContain('Enter your verification code');
  });
});
