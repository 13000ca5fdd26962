// Each console page group over HTTP, signed in as an administrator on an enrolled device: what it shows,
// what its forms change (through the same administration services as the CLI and the admin API, audited
// as admin:<username>), and how it answers a refused change.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { backendName } from '../../helpers/backend.js';
import type { HttpUser, Page } from '../../helpers/http-user.js';
import { PASSWORD, startServer, type TestServer } from '../../helpers/server.js';
import { deviceBrowsers, enrolledDevice } from '../device-trust/helpers.js';

describe(`admin console pages [${backendName()}]`, () => {
  let server: TestServer;
  let browsers: ReturnType<typeof deviceBrowsers>;
  let admin: HttpUser;

  beforeAll(async () => {
    server = await startServer({ cluster: { poll_seconds: 0.2 }, scep: { profiles: { ios: { platform: 'ios' } } } });
    const s = server.app.services;
    await s.deviceTrust.initCa({ actor: 'test' });
    await server.addUser('root');
    await server.addUser('dave', { totp: true });
    const admins = await s.groups.create('latchkey-admins', null);
    await s.groups.addMember(admins.id, (await s.users.require('root')).id);
    browsers = deviceBrowsers(server);
    admin = browsers.on(await enrolledDevice(server, 'root'));
    const landing = await admin.signIn(`${server.issuer}/admin`, { username: 'root', password: PASSWORD });
    if (landing.kind !== 'page' || landing.page.status !== 200) throw new Error('the admin could not sign in');
  });
  afterAll(async () => {
    await browsers?.close();
    await server?.close();
  });

  async function open(path: string): Promise<Page> {
    const landing = await admin.go(`${server.issuer}${path}`);
    if (landing.kind !== 'page') throw new Error(`left the IdP for ${landing.url}`);
    return landing.page;
  }

  async function post(page: Page, action: string, fields: Record<string, string>): Promise<Page> {
    const landing = await admin.submit(page, action, fields);
    if (landing.kind !== 'page') throw new Error(`left the IdP for ${landing.url}`);
    return landing.page;
  }

  async function lastAdminEvent(event: string) {
    const [found] = await server.app.services.audit.search({ event, actor: 'admin:root' });
    return found;
  }

  describe('users', () => {
    it('disables and enables a user, each audited as the administrator', async () => {
      const user = await open('/admin/users/dave');
      const disabled = await post(user, '/admin/users/dave/disable', {});
      expect(disabled.html).toContain('dave is disabled');
      expect((await server.app.services.users.require('dave')).disabled).toBe(true);
      const enabled = await post(disabled, '/admin/users/dave/enable', {});
      expect(enabled.html).toContain('dave is enabled again');
      expect(await lastAdminEvent('admin.user.enable')).toMatchObject({ username: 'dave', outcome: 'success' });
    });

    it('resets the authenticator app and ends every session', async () => {
      const user = await open('/admin/users/dave');
      expect(user.html).toContain('Reset authenticator app');
      const reset = await post(user, '/admin/users/dave/reset-totp', {});
      expect(reset.html).toContain('authenticator app was removed');
      expect((await server.app.services.users.require('dave')).totpSecretSealed).toBeNull();
      const ended = await post(reset, '/admin/users/dave/revoke-sessions', {});
      expect(ended.html).toContain('Every session of dave has ended');
    });

    it('shows a device enrollment token once', async () => {
      const page = await post(await open('/admin/users/dave'), '/admin/users/dave/enrollment-token', {});
      expect(page.html).toMatch(/Enrollment token for dave/);
      expect(page.html).toMatch(/class="secret"><code>[A-Za-z0-9_-]{20,}<\/code>/);
      expect((await open('/admin/users/dave')).html).not.toContain('class="secret"');
    });

    it('answers an unknown user with 404 on the page', async () => {
      const page = await open('/admin/users/nobody');
      expect(page.status).toBe(404);
      expect(page.html).toContain('There is no user &#34;nobody&#34;.');
    });
  });

  describe('groups', () => {
    it('creates a group, adds and removes a member', async () => {
      const created = await post(await open('/admin/groups'), '/admin/groups', {
        name: 'finance',
        description: 'Money',
      });
      expect(created.html).toContain('Group finance was created.');
      const added = await post(created, '/admin/groups/finance/members', { username: 'dave' });
      expect(added.html).toContain('dave is now a member of finance.');
      expect(
        await server.app.services.users.groupNames((await server.app.services.users.require('dave')).id),
      ).toContain('finance');
      const removed = await post(added, '/admin/groups/finance/members/remove', { username: 'dave' });
      expect(removed.html).toContain('dave is no longer a member of finance.');
    });

    it("removes a group, but never the console's own group", async () => {
      await post(await open('/admin/groups'), '/admin/groups', { name: 'temps' });
      const removed = await post(await open('/admin/groups/temps'), '/admin/groups/temps/remove', {});
      expect(removed.html).toContain('Group temps was removed');
      expect(await server.app.services.groups.find('temps')).toBeUndefined();
      const refused = await post(
        await open('/admin/groups/latchkey-admins'),
        '/admin/groups/latchkey-admins/remove',
        {},
      );
      expect(refused.status).toBe(409);
      expect(refused.html).toContain('set admin.group to another group');
      expect(await server.app.services.groups.find('latchkey-admins')).toBeDefined();
    });

    it('shows an unknown member as an error, not a stack', async () => {
      const page = await post(await open('/admin/groups/finance'), '/admin/groups/finance/members', {
        username: 'ghost',
      });
      expect(page.status).toBe(404);
      expect(page.html).toContain('role="alert"');
    });
  });

  describe('clients', () => {
    it('registers a relying party and shows its secret only once', async () => {
      const page = await post(await open('/admin/clients'), '/admin/clients', {
        name: 'Wiki',
        redirect_uris: 'https://wiki.example.test/callback',
        kind: 'first_party',
        auth_method: 'client_secret_basic',
        id_token_alg: 'RS256',
      });
      expect(page.html).toContain('Client Wiki was registered.');
      const secret = /<p><code>([^<]+)<\/code><\/p>/.exec(page.html)?.[1];
      expect(secret?.length).toBeGreaterThan(20);
      const client = (await server.app.services.clients.list()).find((c) => c.name === 'Wiki')!;
      const again = await open(`/admin/clients/${client.clientId}`);
      expect(again.html).not.toContain(secret!);
      expect(again.html).toContain('set (never shown again)');
    });

    it('refuses a relying party without a redirect URI, keeping what was typed', async () => {
      const page = await post(await open('/admin/clients'), '/admin/clients', { name: 'Broken', kind: 'first_party' });
      expect(page.status).toBe(400);
      expect(page.html).toContain('needs at least one &#34;Redirect URIs&#34;');
      expect(page.html).not.toContain('--redirect-uri');
      expect(page.html).toContain('value="Broken"');
    });

    it('registers an Okta factor client, shows what to paste into Okta, and changes its settings', async () => {
      const page = await post(await open('/admin/clients'), '/admin/clients/factor', {
        idp: 'okta',
        okta_domain: 'acme2.okta.com',
      });
      expect(page.html).toContain('was registered.');
      expect(page.html).toContain('https://acme2.okta.com/oauth2/v1/authorize/callback');
      const saved = await post(page, '/factor', {
        session_lifetime: '45m',
        unmanaged: 'deny',
        preferred_username: 'email',
      });
      expect(saved.html).toContain('The factor settings were saved.');
      const refused = await post(saved, '/factor', { session_lifetime: 'forever', unmanaged: 'deny' });
      expect(refused.html).toContain('&#34;How long a proven device is relied on&#34; must be a duration such as 30m');
      const client = (await server.app.services.clients.list()).find((c) => c.name.includes('acme2'))!;
      expect(client.factor?.sessionSeconds).toBe(2700);
      expect((await lastAdminEvent('admin.client.update'))?.clientId).toBe(client.clientId);
    });

    it('registers an admin API client with the scopes ticked, rotates its secret and removes it', async () => {
      const page = await post(await open('/admin/clients'), '/admin/clients/admin', {
        name: 'Jamf',
        scope_latchkey_devices_read: 'on',
        scope_latchkey_users_read: 'on',
      });
      expect(page.html).toContain('Admin API client Jamf was registered.');
      const client = (await server.app.services.clients.list()).find((c) => c.name === 'Jamf')!;
      expect(client.kind).toBe('admin');
      expect(String(client.metadata.scope).split(' ').sort()).toEqual(['latchkey.devices.read', 'latchkey.users.read']);
      const first = /<p><code>([^<]+)<\/code><\/p>/.exec(page.html)?.[1];
      const rotated = await post(page, '/secret', {});
      expect(rotated.html).toContain('the old one no longer works');
      const second = /<p><code>([^<]+)<\/code><\/p>/.exec(rotated.html)?.[1];
      expect(second).toBeDefined();
      expect(second).not.toBe(first);
      const removed = await post(rotated, `/admin/clients/${client.clientId}/remove`, {});
      expect(removed.html).toContain(`Client ${client.clientId} was removed.`);
      expect(await server.app.services.clients.find(client.clientId)).toBeUndefined();
      expect((await lastAdminEvent('admin.client.remove'))?.clientId).toBe(client.clientId);
    });

    it("offers no way to change Latchkey's own clients", async () => {
      const page = await open('/admin/clients/latchkey-console');
      expect(page.html).toContain("Latchkey's own client");
      expect(page.html).not.toContain('/remove"');
    });

    it('shows the set-up text of an Okta factor client', async () => {
      const factor = await server.addFactorClient('okta', { oktaDomain: 'acme.okta.com' });
      const page = await open(`/admin/clients/${factor.clientId}`);
      expect(page.html).toContain('Okta');
      expect(page.html).toContain(`${server.issuer}/auth`);
    });
  });

  describe('keys and CA', () => {
    it('rotates the signing keys, issues a new intermediate and shows a static SCEP challenge once', async () => {
      const page = await open('/admin/keys');
      expect(page.html).toContain('live node(s) publish exactly these keys');
      const rotated = await post(page, '/admin/keys/rotate', {});
      expect(rotated.html).toMatch(/Added ES256 \S+ and RS256 \S+|Added RS256 \S+ and ES256 \S+/);
      expect((await lastAdminEvent('admin.keys.rotate'))?.actor).toBe('admin:root');
      const before = (await server.app.services.deviceTrust.showCa())!.intermediate.fingerprintSha256;
      const ca = await post(rotated, '/admin/ca/rotate-intermediate', {});
      expect(ca.html).toContain('A new intermediate');
      expect((await server.app.services.deviceTrust.showCa())!.intermediate.fingerprintSha256).not.toBe(before);
      const challenge = await post(ca, '/admin/scep/static-challenge', { profile: 'ios' });
      const shown = /<p><code>([^<]+)<\/code><\/p>/.exec(challenge.html)?.[1];
      expect(shown?.length).toBeGreaterThan(10);
      expect((await open('/admin/keys')).html).not.toContain(shown!);
      const cleared = await post(challenge, '/admin/scep/static-challenge/clear', { profile: 'ios' });
      expect(cleared.html).toContain('The static challenge of ios was removed.');
    });
  });

  describe('devices, certificates and passkeys', () => {
    it('allows a renewal now and flips the distribution switch off and on', async () => {
      const device = await enrolledDevice(server, 'dave');
      const renewed = await post(await open(`/admin/devices/${device.deviceId}`), '/renew-now', {});
      expect(renewed.html).toContain('may renew its certificate from');
      const off = await post(await open('/admin/devices'), '/admin/devices/distribution', { enabled: 'off' });
      expect(off.html).toContain('Certificate distribution is off');
      const trust = server.app.services.deviceTrust;
      try {
        expect(await trust.distributionEnabled()).toBe(false);
        // The kill switch makes the admin's own device unmanaged too: the console, which needs a trusted
        // device, refuses the next request (switching back is for the CLI or the admin API).
        const next = await admin.request(`${server.issuer}/admin/devices`);
        expect(next.status).toBe(403);
        expect(await next.text()).toContain('no longer counts');
      } finally {
        await trust.setDistribution(true, { actor: 'test' });
      }
      const on = await open('/admin/devices');
      expect(on.html).toContain('Distribution is <strong>on</strong>');
    });

    it('revokes one certificate with a reason', async () => {
      const device = await enrolledDevice(server, 'dave');
      const page = await open(`/admin/devices/${device.deviceId}`);
      const revoked = await post(page, `/admin/certificates/${device.serial}/revoke`, {
        reason: 'superseded',
        device: device.deviceId,
      });
      expect(revoked.html).toContain(`Certificate ${device.serial} was revoked (superseded).`);
      const [certificate] = await server.app.services.deviceTrust.listCertificates({ deviceId: device.deviceId });
      expect(certificate?.revocationReason).toBe('superseded');
    });

    it('refuses an unknown revocation reason and revokes nothing', async () => {
      const device = await enrolledDevice(server, 'dave');
      const page = await post(
        await open(`/admin/devices/${device.deviceId}`),
        `/admin/devices/${device.deviceId}/revoke`,
        {
          reason: 'because',
        },
      );
      expect(page.status).toBe(400);
      expect(page.html).toContain('unknown revocation reason');
      expect((await server.app.services.deviceTrust.device(device.deviceId)).status).toBe('active');
    });

    it('lists devices by trust level and passkeys by user', async () => {
      expect((await open('/admin/devices?trust=revoked')).html).toContain('None yet.');
      expect((await open('/admin/devices?trust=trusted&user=root')).html).toContain('<td data-label="User">root</td>');
      const passkeys = await open('/admin/passkeys?user=ghost');
      expect(passkeys.html).toContain('role="alert"');
    });
  });

  describe('policies and what-if', () => {
    const GOOD = `default: allow\npolicies:\n  - { name: pilot, state: enabled, targets: { groups: [finance] }, outcome: deny }\n`;

    it('publishes a draft that parses, from the version it started from', async () => {
      const editor = await open('/admin/policies');
      const version = /name="version" value="(\d+)"/.exec(editor.html)![1]!;
      const page = await post(editor, '/admin/policies', { text: GOOD, version, action: 'publish' });
      expect(page.html).toMatch(/Version \d+ is in force \(1 policies\)/);
      expect(await lastAdminEvent('admin.policy.publish')).toMatchObject({ outcome: 'success' });
    });

    it('refuses to overwrite a version published meanwhile', async () => {
      const editor = await open('/admin/policies');
      const page = await post(editor, '/admin/policies', { text: GOOD + '# edit\n', version: '0', action: 'publish' });
      expect(page.status).toBe(409);
      expect(page.html).toContain('reload and apply the change again');
      expect(page.html).toContain('# edit');
    });

    it('switches one policy to report-only', async () => {
      const page = await post(await open('/admin/policies'), '/admin/policies/state', {
        name: 'pilot',
        state: 'report-only',
      });
      expect(page.html).toContain('Policy pilot is now report-only');
      expect((await server.app.services.policySets.latest())?.text).toContain('state: report-only');
    });

    it('previews a draft with the what-if before publishing it', async () => {
      const before = await server.app.services.policySets.latestVersion();
      const draft = `default: allow\npolicies:\n  - { name: draft-deny, state: enabled, outcome: deny }\n`;
      const preview = await post(await open('/admin/policies'), '/admin/policies', {
        text: draft,
        version: String(before),
        action: 'preview',
      });
      expect(preview.html).toContain('unpublished draft');
      const result = await post(preview, '/admin/what-if', {
        client: 'latchkey-account',
        ip: '198.51.100.4',
        methods_age: '0',
        draft,
      });
      expect(result.html).toContain('draft-deny');
      expect(await server.app.services.policySets.latestVersion()).toBe(before);
    });

    it('names a bad what-if field on the page', async () => {
      const page = await post(await open('/admin/what-if'), '/admin/what-if', {
        client: 'latchkey-account',
        ip: 'not-an-ip',
      });
      expect(page.status).toBe(400);
      // The form's label, not the CLI's --ip (the what-if is shared with the CLI).
      expect(page.html).toContain('&#34;IP address&#34; must be an IPv4 or IPv6 address');
      expect(page.html).not.toContain('--ip');
    });
  });

  describe('audit', () => {
    it('filters by event and actor, pages with an older link, and tells one sign-in’s story', async () => {
      const filtered = await open('/admin/audit?event=login.complete&outcome=success');
      expect(filtered.html).toContain('latchkey-console');
      const uid = /\/admin\/audit\/sign-ins\/([A-Za-z0-9_-]+)/.exec(filtered.html)?.[1];
      expect(uid).toBeDefined();
      const story = await open(`/admin/audit/sign-ins/${uid}`);
      expect(story.html).toContain('login.device_certificate');
      expect(story.html).toContain('policy.decision');
      expect(story.html).toContain('root signing in to');
      const everything = await open('/admin/audit?limit=5');
      const older = /href="(\/admin\/audit\?[^"]*before=\d+)"/.exec(everything.html)?.[1];
      expect(older).toBeDefined();
      const next = await open(older!.replace(/&#38;/g, '&'));
      expect(next.status).toBe(200);
      expect(next.html).toContain('Newest');
    });

    it('refuses a since that is not a date', async () => {
      const page = await open('/admin/audit?since=yesterday');
      expect(page.status).toBe(400);
      expect(page.html).toContain('must be a date');
    });
  });
});
