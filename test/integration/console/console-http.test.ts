// The admin console over HTTP with a real server: it signs in through Latchkey itself (the console
// client), only an admin-group member on a trusted device gets in, every form needs its CSRF token, and
// every request checks the administrator again.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { backendName } from '../../helpers/backend.js';
import type { HttpUser, Page } from '../../helpers/http-user.js';
import { inventoryTrustLevel } from '../../../src/store/device-trust.js';
import { PASSWORD, startServer, type TestServer } from '../../helpers/server.js';
import { deviceBrowsers, enrolledDevice, type DeviceCredentials } from '../device-trust/helpers.js';

describe(`admin console over HTTP [${backendName()}]`, () => {
  let server: TestServer;
  let browsers: ReturnType<typeof deviceBrowsers>;
  let rootDevice: DeviceCredentials;
  let bobDevice: DeviceCredentials;

  beforeAll(async () => {
    server = await startServer({ cluster: { poll_seconds: 0.2 } });
    const s = server.app.services;
    await s.deviceTrust.initCa({ actor: 'test' });
    await server.addUser('root');
    await server.addUser('bob');
    const admins = await s.groups.create('latchkey-admins', null);
    await s.groups.addMember(admins.id, (await s.users.require('root')).id);
    rootDevice = await enrolledDevice(server, 'root');
    bobDevice = await enrolledDevice(server, 'bob');
    browsers = deviceBrowsers(server);
  });
  afterAll(async () => {
    await browsers?.close();
    await server?.close();
  });

  async function signedIn(browser: HttpUser, username: string): Promise<Page> {
    const landing = await browser.signIn(`${server.issuer}/admin`, { username, password: PASSWORD });
    if (landing.kind !== 'page') throw new Error(`left the IdP for ${landing.url}`);
    return landing.page;
  }

  async function open(browser: HttpUser, path: string): Promise<Page> {
    const landing = await browser.go(`${server.issuer}${path}`);
    if (landing.kind !== 'page') throw new Error(`left the IdP for ${landing.url}`);
    return landing.page;
  }

  it('sends a browser that is not signed in to our own authorization endpoint as the console client', async () => {
    const response = await server.fetch(`${server.issuer}/admin/users`, { redirect: 'manual' });
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location')!, server.issuer);
    expect(location.pathname).toBe('/auth');
    expect(location.searchParams.get('client_id')).toBe('latchkey-console');
    expect(location.searchParams.get('redirect_uri')).toBe(`${server.issuer}/admin/callback`);
    expect(location.searchParams.get('code_challenge_method')).toBe('S256');
    expect(location.searchParams.get('acr_values')).toBe('urn:latchkey:acr:device');
  });

  it('lets an admin on a trusted device in, under the strict CSP', async () => {
    const browser = browsers.on(rootDevice);
    const page = await signedIn(browser, 'root');
    expect(page.status).toBe(200);
    expect(page.html).toContain('<h1>Overview</h1>');
    expect(page.html).toContain('name="viewport"');
    const response = await browser.request(`${server.issuer}/admin/users`);
    expect(response.status).toBe(200);
    const csp = response.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('script-src');
    const [decision] = await server.app.services.audit.search({ username: 'root', event: 'policy.decision' });
    expect(decision?.detail?.basis).toBe('console_rule');
  });

  it('refuses a form posted without its CSRF token, and changes nothing', async () => {
    const browser = browsers.on(rootDevice);
    await signedIn(browser, 'root');
    const response = await browser.request(`${server.issuer}/admin/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username: 'mallory', csrf: 'forged' }).toString(),
    });
    expect(response.status).toBe(403);
    expect(await response.text()).toContain('This form has expired');
    expect(await server.app.services.users.findByLogin('mallory')).toBeUndefined();
  });

  it('creates a user, and shows a service error on the page, never a stack', async () => {
    const browser = browsers.on(rootDevice);
    await signedIn(browser, 'root');
    const users = await open(browser, '/admin/users');
    const made = await browser.submit(users, '/admin/users', { username: 'carol', email: 'carol@example.com' });
    expect(made.kind === 'page' && made.page.html).toContain('User carol was created.');
    expect(await server.app.services.users.findByLogin('carol')).toBeDefined();
    const twice = await browser.submit(users, '/admin/users', { username: 'carol' });
    if (twice.kind !== 'page') throw new Error('expected the users page');
    expect(twice.page.status).toBe(409);
    expect(twice.page.html).toContain('role="alert"');
    expect(twice.page.html).not.toMatch(/at .*\.(ts|js):\d+/);
  });

  it('lists users a page at a time, with search, and a link on to the next page and back', async () => {
    const users = server.app.services.users;
    for (let i = 0; i < 120; i++) {
      await users.create({
        username: `paged${String(i).padStart(3, '0')}`,
        email: null,
        name: null,
        passwordHash: null,
      });
    }
    const browser = browsers.on(rootDevice);
    await signedIn(browser, 'root');
    const first = await open(browser, '/admin/users?q=paged');
    const rows = (page: Page) => [...page.html.matchAll(/href="\/admin\/users\/(paged\d{3})"/g)].map((m) => m[1]);
    expect(rows(first)).toEqual(Array.from({ length: 100 }, (_, i) => `paged${String(i).padStart(3, '0')}`));
    const next = /<a href="(\/admin\/users\?[^"]+)" rel="next">Next page/.exec(first.html)?.[1];
    expect(next).toBeDefined();
    const second = await open(browser, next!.replace(/&#38;|&amp;/g, '&'));
    expect(rows(second)).toEqual(Array.from({ length: 20 }, (_, i) => `paged${100 + i}`));
    expect(second.html).not.toContain('rel="next"');
    expect(second.html).toContain('<a href="/admin/users?q=paged">First page</a>');
    // A NUL typed into a filter is dropped, not sent to the database (PostgreSQL refuses it in text).
    expect((await open(browser, '/admin/users?q=pag%00ed')).status).toBe(200);
    const devices = await open(browser, '/admin/devices?after=bogus&user=root');
    expect(devices.status).toBe(400);
    expect(devices.html).toContain('is not a cursor this list returned');
    const refused = await open(browser, '/admin/users?after=bogus');
    expect(refused.status).toBe(400);
    expect(refused.html).toContain('is not a cursor this list returned');
  });

  it('refuses a non-admin, even from a trusted device', async () => {
    const page = await signedIn(browsers.on(bobDevice), 'bob');
    expect(page.status).toBe(403);
    expect(page.html).toContain('The admin console is only for Latchkey administrators.');
  });

  it('refuses an admin on a browser with no device certificate', async () => {
    const page = await signedIn(browsers.on(null), 'root');
    expect(page.status).toBe(403);
    expect(page.html).toContain('trusted device');
    expect(page.html).not.toContain('<h1>Overview</h1>');
  });

  it('shows the console rule in a what-if, with every verdict', async () => {
    const browser = browsers.on(rootDevice);
    await signedIn(browser, 'root');
    const form = await open(browser, '/admin/what-if');
    const result = await browser.submit(form, '/admin/what-if', {
      client: 'latchkey-console',
      user: 'bob',
      ip: '203.0.113.7',
      device_trust: 'trusted',
      methods_age: '0',
    });
    if (result.kind !== 'page') throw new Error('expected the what-if result');
    expect(result.page.html).toContain('Prediction:');
    expect(result.page.html).toContain('built-in: admin console');
    expect(result.page.html).toContain('bob is not in group latchkey-admins');
  });

  it('keeps a bad policy draft unsaved and lists its problems with line and column', async () => {
    const browser = browsers.on(rootDevice);
    await signedIn(browser, 'root');
    const before = await server.app.services.policySets.latestVersion();
    const editor = await open(browser, '/admin/policies');
    const bad = 'default: allow\npolicies:\n  - name: typo\n    state: enabled\n    outcome: maybe\n';
    const result = await browser.submit(editor, '/admin/policies', {
      text: bad,
      version: String(before),
      action: 'publish',
    });
    if (result.kind !== 'page') throw new Error('expected the policies page');
    expect(result.page.status).toBe(400);
    expect(result.page.html).toMatch(/line 5:\d+/);
    expect(result.page.html).toContain('nothing was saved');
    expect(await server.app.services.policySets.latestVersion()).toBe(before);
  });

  it('ends the console at the next request once the admin leaves the group', async () => {
    const browser = browsers.on(rootDevice);
    await signedIn(browser, 'root');
    const s = server.app.services;
    const admins = await s.groups.require('latchkey-admins');
    const root = await s.users.require('root');
    await s.groups.removeMember(admins.id, root.id);
    try {
      const response = await browser.request(`${server.issuer}/admin/users`);
      expect(response.status).toBe(403);
      expect(await response.text()).toContain('only for members of the group latchkey-admins');
    } finally {
      await s.groups.addMember(admins.id, root.id);
    }
  });

  it('ends the console at the next request once the device it was signed in with is revoked', async () => {
    const s = server.app.services;
    await server.addUser('ruth');
    const admins = await s.groups.require('latchkey-admins');
    await s.groups.addMember(admins.id, (await s.users.require('ruth')).id);
    const device = await enrolledDevice(server, 'ruth');
    const browser = browsers.on(device);
    await signedIn(browser, 'ruth');
    const before = await browser.request(`${server.issuer}/admin/users`);
    expect(before.status).toBe(200);
    await before.text(); // read to the end, or its connection stays busy and closing the client waits for it
    await s.deviceTrust.revokeDevice(device.deviceId, { reason: 'keyCompromise', actor: 'test' });
    const response = await browser.request(`${server.issuer}/admin/users`);
    expect(response.status).toBe(403);
    expect(await response.text()).toContain('no longer counts');
  });

  it('shows devices by trust level and the certificates about to expire, counted by the database', async () => {
    const s = server.app.services;
    const expected = { trusted: 0, managed: 0, revoked: 0 };
    for (const device of await s.deviceTrust.listDevices()) expected[inventoryTrustLevel(device)] += 1;
    expect(expected.revoked).toBeGreaterThan(0);
    await s
      .db('device_certificates')
      .where({ serial: bobDevice.serial })
      .update({ not_after: Date.now() + 3 * 86_400_000 });
    const browser = browsers.on(rootDevice);
    await signedIn(browser, 'root');
    const overview = await open(browser, '/admin');
    for (const [level, n] of Object.entries(expected))
      expect(overview.html).toContain(`<strong>${n}</strong> ${level}`);
    expect(overview.html).toContain(`<code>${bobDevice.serial}</code>`);
    expect(overview.html).not.toContain(`<code>${rootDevice.serial}</code>`);
  });
});
