// The admin API (issue 15) through real HTTPS with access tokens from a real client-credentials grant:
// each resource's happy path, scopes enforced (a read-only token changes nothing), bad input refused with
// problem details and nothing changed, every change audited with the admin client as actor.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { backendName } from '../../helpers/backend.js';
import { expectCallback, HttpUser } from '../../helpers/http-user.js';
import { REDIRECT_URI, relyingParty } from '../../helpers/rp.js';
import { startServer, type TestServer } from '../../helpers/server.js';
import { enrolledDevice } from '../device-trust/helpers.js';
import { adminToken, call } from './helpers.js';

const GOOD_POLICIES = `default: allow
policies:
  - name: block-north
    state: enabled
    targets: { users: all }
    conditions: { countries: [KP] }
    outcome: deny
`;

describe(`admin API [${backendName()}]`, () => {
  let server: TestServer;
  let manage: { clientId: string; token: string };
  let readOnly: { clientId: string; token: string };

  beforeAll(async () => {
    server = await startServer();
    manage = await adminToken(server, [
      'latchkey.users.manage',
      'latchkey.groups.manage',
      'latchkey.clients.manage',
      'latchkey.devices.manage',
      'latchkey.policies.manage',
      'latchkey.audit.read',
    ]);
    readOnly = await adminToken(server, ['latchkey.users.read', 'latchkey.audit.read'], 'read-only');
  });
  afterAll(async () => {
    await server?.close();
  });

  const api = (method: string, path: string, body?: unknown) => call(server, manage.token, method, path, body);
  const adminEvents = async () =>
    (await server.app.services.audit.search({ limit: 1000 })).filter((e) => e.event.startsWith('admin.'));

  describe('authentication', () => {
    it('refuses a request without a token with 401, a Bearer challenge and a problem document', async () => {
      const answer = await call(server, undefined, 'GET', '/users');
      expect(answer.status).toBe(401);
      expect(answer.type).toMatch(/^application\/problem\+json/);
      expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer realm="latchkey-admin"/);
      expect(answer.body).toEqual({
        type: 'urn:latchkey:error:ERR_ADMIN_TOKEN_MISSING',
        title: 'Unauthorized',
        status: 401,
        detail: expect.any(String),
        code: 'ERR_ADMIN_TOKEN_MISSING',
      });
    });

    it('refuses a token it did not issue', async () => {
      const answer = await call(server, 'not-a-token-we-issued', 'GET', '/users');
      expect(answer.status).toBe(401);
      expect(answer.body.code).toBe('ERR_ADMIN_TOKEN_INVALID');
      expect(answer.headers.get('www-authenticate')).toContain('error="invalid_token"');
    });

    it('lets a read-only token read but change nothing', async () => {
      expect((await call(server, readOnly.token, 'GET', '/users')).status).toBe(200);
      const before = await server.app.services.users.list();
      for (const [method, path, body] of [
        ['POST', '/users', { username: 'sneaky' }],
        ['PATCH', '/users/sneaky', { disabled: true }],
        ['POST', '/groups', { name: 'sneaky' }],
        ['POST', '/clients/admin', { name: 'escalate', scopes: ['latchkey.users.manage'] }],
        ['PUT', '/policies', { text: GOOD_POLICIES }],
        ['PUT', '/distribution', { enabled: false }],
      ] as const) {
        const answer = await call(server, readOnly.token, method, path, body);
        expect({ path, status: answer.status }).toEqual({ path, status: 403 });
        expect(answer.body.code).toBe('ERR_ADMIN_TOKEN_SCOPE');
        expect(answer.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
      }
      expect(await server.app.services.users.list()).toEqual(before);
      expect((await call(server, readOnly.token, 'GET', '/clients')).status).toBe(403);
    });

    it('answers an unknown path and an unknown method with problem details, not a page', async () => {
      const missing = await api('GET', '/nothing-here');
      expect(missing.status).toBe(404);
      expect(missing.body.code).toBe('ERR_NOT_FOUND');
      const method = await api('PATCH', '/groups');
      expect(method.status).toBe(405);
      expect(method.body.code).toBe('ERR_METHOD_NOT_ALLOWED');
    });
  });

  describe('users and groups', () => {
    it('creates, changes, disables and reads a user; every change is audited with the client as actor', async () => {
      const created = await api('POST', '/users', {
        username: 'Dana',
        email: 'dana@example.com',
        password: 'a long enough password',
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        username: 'dana',
        email: 'dana@example.com',
        status: 'active',
        hasPassword: true,
      });
      expect(created.body.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T/);
      const changed = await api('PATCH', '/users/dana', { name: 'Dana Scully', disabled: true });
      expect(changed.body).toMatchObject({ name: 'Dana Scully', status: 'disabled' });
      expect((await api('PATCH', '/users/dana', { disabled: false })).body.status).toBe('active');
      expect((await api('PUT', '/users/dana/password', { password: 'another long password' })).status).toBe(204);
      const totp = await api('POST', '/users/dana/totp');
      expect(totp.status).toBe(201);
      expect(totp.body.uri).toMatch(/^otpauth:\/\/totp\//);
      expect((await api('GET', '/users/dana')).body.totpEnrolledAt).toMatch(/^\d{4}-/);
      expect((await api('DELETE', '/users/dana/totp')).status).toBe(204);
      expect((await api('PUT', '/users/dana/attributes/entra_oid', { value: 'abc-123' })).status).toBe(204);
      expect((await api('GET', '/users/dana')).body.attributes).toEqual({ entra_oid: 'abc-123' });
      expect((await api('POST', '/users/dana/revoke-sessions')).body).toEqual({ removed: expect.any(Number) });
      const events = (await adminEvents()).filter((e) => e.username === 'dana');
      expect(events.map((e) => e.event).sort()).toEqual(
        [
          'admin.user.add',
          'admin.user.update',
          'admin.user.disable',
          'admin.user.enable',
          'admin.user.set-password',
          'admin.user.totp-enroll',
          'admin.user.totp-reset',
          'admin.user.attribute',
          'admin.user.revoke-sessions',
        ].sort(),
      );
      expect(new Set(events.map((e) => e.actor))).toEqual(new Set([`client:${manage.clientId}`]));
    });

    it('answers a missing user with 404 and the CLI code', async () => {
      const answer = await api('GET', '/users/nobody');
      expect(answer.status).toBe(404);
      expect(answer.body).toMatchObject({ type: 'urn:latchkey:error:ERR_USER_NOT_FOUND', code: 'ERR_USER_NOT_FOUND' });
    });

    it('creates a group, adds and removes a member, and removes the group', async () => {
      await api('POST', '/users', { username: 'erin' });
      expect((await api('POST', '/groups', { name: 'ops', description: 'operators' })).status).toBe(201);
      expect((await api('PUT', '/groups/ops/members/erin')).body.members).toEqual(['erin']);
      expect((await api('GET', '/users/erin')).body.groups).toEqual(['ops']);
      expect((await api('DELETE', '/groups/ops/members/erin')).body.members).toEqual([]);
      expect((await api('DELETE', '/groups/ops')).status).toBe(204);
      expect((await api('GET', '/groups/ops')).status).toBe(404);
    });

    it('lets exactly one of 20 parallel creations of one username win', async () => {
      const answers = await Promise.all(Array.from({ length: 20 }, () => api('POST', '/users', { username: 'racer' })));
      expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
      expect(answers.filter((a) => a.status === 409).every((a) => a.body.code === 'ERR_USER_EXISTS')).toBe(true);
      expect(answers.filter((a) => a.status === 409)).toHaveLength(19);
    });
  });

  describe('bad input', () => {
    it.each([
      ['an unknown field', { username: 'frank', admin: true }, 400, 'ERR_REQUEST_UNKNOWN_FIELD'],
      ['a wrong type', { username: 42 }, 400, 'ERR_REQUEST_INVALID_FIELD'],
      ['a NUL byte', { username: 'fr\u0000ank' }, 400, 'ERR_REQUEST_INVALID_FIELD'],
      ['a control character', { username: 'frank', name: 'line\nbreak' }, 400, 'ERR_REQUEST_INVALID_FIELD'],
      ['a missing field', { email: 'frank@example.com' }, 400, 'ERR_REQUEST_MISSING_FIELD'],
      ['an array body', '[1,2]', 400, 'ERR_REQUEST_NOT_JSON'],
      ['broken JSON', '{"username":', 400, 'ERR_REQUEST_NOT_JSON'],
      ['a huge body', JSON.stringify({ username: 'frank', name: 'x'.repeat(200_000) }), 413, 'ERR_REQUEST_TOO_LARGE'],
    ])('refuses %s with problem details and creates nothing', async (_what, body, status, code) => {
      const before = (await adminEvents()).length;
      const answer = await api('POST', '/users', body);
      expect(answer.status).toBe(status);
      expect(answer.type).toMatch(/^application\/problem\+json/);
      expect(answer.body.code).toBe(code);
      expect(await server.app.services.users.findByUsername('frank')).toBeUndefined();
      expect((await adminEvents()).length).toBe(before);
    });

    it('refuses a body that is not JSON, and a body on an operation that takes none', async () => {
      const form = await call(server, manage.token, 'POST', '/users', 'username=frank', {
        'content-type': 'application/x-www-form-urlencoded',
      });
      expect(form.status).toBe(415);
      const extra = await api('POST', '/users/erin/revoke-sessions', { everything: true });
      expect(extra.body.code).toBe('ERR_REQUEST_UNEXPECTED_BODY');
    });

    it('refuses an unknown or repeated query parameter', async () => {
      expect((await api('GET', '/devices?user=erin')).body.code).toBe('ERR_REQUEST_UNKNOWN_FIELD');
      expect((await api('GET', '/audit?limit=1&limit=2')).body.code).toBe('ERR_REQUEST_INVALID_FIELD');
      expect((await api('GET', '/audit?limit=0')).body.code).toBe('ERR_REQUEST_INVALID_FIELD');
    });
  });

  describe('clients', () => {
    it('registers a relying party whose secret is shown once, rotates it and removes it', async () => {
      const created = await api('POST', '/clients', {
        name: 'Portal',
        redirectUris: ['https://portal.example.com/cb'],
      });
      expect(created.status).toBe(201);
      const { clientId } = created.body.client;
      expect(created.body.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const shown = await api('GET', `/clients/${clientId}`);
      expect(JSON.stringify(shown.body)).not.toContain(created.body.secret);
      expect(shown.body).toMatchObject({ name: 'Portal', kind: 'first_party', hasSecret: true });
      const rotated = await api('POST', `/clients/${clientId}/secret`);
      expect(rotated.body.secret).not.toBe(created.body.secret);
      expect((await api('DELETE', `/clients/${clientId}`)).status).toBe(204);
      expect((await api('GET', `/clients/${clientId}`)).status).toBe(404);
    });

    it("refuses to remove or re-key Latchkey's own clients", async () => {
      expect((await api('DELETE', '/clients/latchkey-account')).body.code).toBe('ERR_CLIENT_BUILT_IN');
      expect((await api('POST', '/clients/latchkey-console/secret')).body.code).toBe('ERR_CLIENT_BUILT_IN');
      expect((await api('GET', '/clients/latchkey-account')).status).toBe(200);
    });

    it('refuses metadata oidc-provider refuses, with its reason', async () => {
      const answer = await api('POST', '/clients', { name: 'Bad', redirectUris: ['not a url'] });
      expect(answer.status).toBe(400);
      expect(answer.body.code).toBe('ERR_CLIENT_METADATA');
    });

    it('registers an Okta factor client and answers with what to paste into Okta', async () => {
      const created = await api('POST', '/clients/factor', { idp: 'okta', oktaDomain: 'acme.okta.com' });
      expect(created.status).toBe(201);
      expect(created.body.setup.rows).toEqual(expect.arrayContaining([['Client ID', created.body.client.clientId]]));
      const again = await api('GET', `/clients/${created.body.client.clientId}/factor-setup`);
      expect(JSON.stringify(again.body)).not.toContain(created.body.secret);
      const changed = await api('PATCH', `/clients/${created.body.client.clientId}/factor`, { sessionLifetime: '30m' });
      expect(changed.body.factor).toMatchObject({ session_seconds: 1800 });
    });

    it("names this API's fields, not the CLI's flags, when it refuses client options", async () => {
      // The service is shared with the CLI, whose refusals named --okta-domain and the like.
      const cases: Array<[string, string, unknown, string, string]> = [
        ['POST', '/clients/factor', { idp: 'okta' }, 'ERR_USAGE_OKTA_DOMAIN', 'okta needs oktaDomain ORG.okta.com'],
        ['POST', '/clients/factor', { idp: 'generic' }, 'ERR_USAGE_REDIRECT_URI', 'generic needs redirectUris'],
        [
          'POST',
          '/clients/factor',
          { idp: 'okta', oktaDomain: 'acme.okta.com', tenantId: 'x' },
          'ERR_USAGE_FACTOR_OPTION',
          'tenantId is for entra factor clients only',
        ],
        [
          'POST',
          '/clients/factor',
          { idp: 'okta', oktaDomain: 'acme.okta.com', sessionLifetime: 'forever' },
          'ERR_USAGE_SESSION_LIFETIME',
          'sessionLifetime must be a duration',
        ],
      ];
      cases.push(
        ['POST', '/clients', { name: 'No URI' }, 'ERR_USAGE_REDIRECT_URI', 'needs at least one redirectUris'],
        [
          'POST',
          '/clients/factor',
          { idp: 'okta', oktaDomain: 'acme.okta.com', appId: 'x' },
          'ERR_USAGE_ENTRA_ONLY',
          'appId is for Microsoft Entra factor clients only',
        ],
      );
      const before = (await api('GET', '/clients')).body.clients.length;
      for (const [method, path, body, code, message] of cases) {
        const answer = await api(method, path, body);
        expect({ body, status: answer.status, code: answer.body.code }).toEqual({ body, status: 400, code });
        expect(answer.body.detail).toContain(message);
        expect(answer.body.detail).not.toContain('--');
      }
      expect((await api('GET', '/clients')).body.clients).toHaveLength(before);
      const what = await api('POST', '/policies/what-if', {
        client: 'latchkey-account',
        ip: '203.0.113.9',
        methods: ['password'],
      });
      expect(what.body).toMatchObject({ code: 'ERR_USAGE_METHODS' });
      expect(what.body.detail).toBe('methods describes a session: name its user with user');
    });

    it('registers an admin client whose token works at once, and refuses an unknown scope', async () => {
      const created = await api('POST', '/clients/admin', { name: 'terraform', scopes: ['latchkey.audit.read'] });
      expect(created.status).toBe(201);
      expect(created.body.client.metadata.scope).toBe('latchkey.audit.read');
      const unknown = await api('POST', '/clients/admin', { name: 'x', scopes: ['latchkey.everything'] });
      expect(unknown.body.code).toBe('ERR_USAGE_SCOPE');
    });
  });

  describe('devices', () => {
    it('lists, shows, renews-now and revokes a device with a reason', async () => {
      await server.addUser('gina');
      await server.app.services.deviceTrust.initCa({ actor: 'test' });
      const device = await enrolledDevice(server, 'gina');
      const listed = await api('GET', '/devices?username=gina');
      expect(listed.body.devices.map((d: { id: string }) => d.id)).toEqual([device.deviceId]);
      expect((await api('GET', `/devices/${device.deviceId}`)).body.certificates).toHaveLength(1);
      expect((await api('POST', `/devices/${device.deviceId}/renew-now`)).body.renewableFrom).toMatch(/^\d{4}-/);
      const certificates = await api('GET', `/certificates?deviceId=${device.deviceId}`);
      expect(certificates.body.certificates).toHaveLength(1);
      const badReason = await api('POST', `/devices/${device.deviceId}/revoke`, { reason: 'because' });
      expect(badReason.body.code).toBe('ERR_REQUEST_INVALID_FIELD');
      const revoked = await api('POST', `/devices/${device.deviceId}/revoke`, { reason: 'keyCompromise' });
      expect(revoked.body).toEqual({ revokedCertificates: 1 });
      const events = await server.app.services.audit.search({ limit: 50 });
      expect(events.find((e) => e.event.includes('revoke') && e.deviceId === device.deviceId)?.actor).toBe(
        `client:${manage.clientId}`,
      );
    });

    it('issues an enrollment token once and flips the distribution switch', async () => {
      const token = await api('POST', '/enrollment-tokens', { username: 'gina', ttlSeconds: 3600 });
      expect(token.status).toBe(201);
      expect(token.body).toMatchObject({ token: expect.any(String), username: 'gina' });
      expect((await api('PUT', '/distribution', { enabled: false })).body).toEqual({ enabled: false });
      expect((await api('GET', '/distribution')).body).toEqual({ enabled: false });
      expect((await api('PUT', '/distribution', { enabled: true })).body).toEqual({ enabled: true });
    });

    it('answers an unknown passkey with 404', async () => {
      expect((await api('GET', '/passkeys')).body).toEqual({ passkeys: [] });
      expect((await api('POST', '/passkeys/nope/revoke', {})).body.code).toBe('ERR_PASSKEY_NOT_FOUND');
    });
  });

  describe('policies', () => {
    it('validates a draft: a summary, or every problem with its line and column', async () => {
      const good = await api('POST', '/policies/validate', { text: GOOD_POLICIES });
      expect(good.body).toMatchObject({ ok: true, summary: expect.stringContaining('1') });
      const bad = await api('POST', '/policies/validate', {
        text: GOOD_POLICIES.replace('outcome: deny', 'outcome: nope'),
      });
      expect(bad.body.ok).toBe(false);
      // A draft was sent, not read from a file: its problems say so (they named policies.yaml).
      expect(bad.body.issues[0]).toMatchObject({ file: 'draft', line: 7, message: expect.any(String) });
    });

    it('previews a draft with what-if, publishes it to every node, and refuses a stale edit', async () => {
      await server.addUser('hank');
      const before = await api('GET', '/policies');
      const preview = { client: 'latchkey-account', user: 'hank', ip: '175.45.176.1', country: 'KP' };
      const dry = await api('PUT', '/policies', { text: GOOD_POLICIES, preview: [preview], dryRun: true });
      expect(dry.body.published).toBe(false);
      expect(dry.body.preview[0].decision.outcome).toBe('deny');
      expect((await api('GET', '/policies')).body.version).toBe(before.body.version);
      const published = await api('PUT', '/policies', { text: GOOD_POLICIES, expectedVersion: before.body.version });
      expect(published.body).toMatchObject({ published: true, changed: true, version: before.body.version + 1 });
      expect(published.body.rollout).toMatchObject({ live: expect.any(Number) });
      const stale = await api('PUT', '/policies', {
        text: GOOD_POLICIES + '# edit\n',
        expectedVersion: before.body.version,
      });
      expect(stale.status).toBe(409);
      expect(stale.body.code).toBe('ERR_POLICY_CHANGED');
      const toggled = await api('PUT', '/policies/block-north/state', { state: 'report-only' });
      expect(toggled.body.version).toBe(before.body.version + 2);
      expect((await api('GET', '/policies')).body.text).toContain('state: report-only');
    });

    it('lets exactly one of 10 parallel edits from the same version publish', async () => {
      const from = (await api('GET', '/policies')).body.version;
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          api('PUT', '/policies', { text: `${GOOD_POLICIES}# edit ${i}\n`, expectedVersion: from }),
        ),
      );
      expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
      expect(answers.filter((a) => a.status === 409 && a.body.code === 'ERR_POLICY_CHANGED')).toHaveLength(9);
      expect((await api('GET', '/policies')).body.version).toBe(from + 1);
    });

    it('refuses a policy set with errors, publishing nothing, with the problems', async () => {
      const before = (await api('GET', '/policies')).body.version;
      const answer = await api('PUT', '/policies', { text: 'default: maybe\n' });
      expect(answer.status).toBe(400);
      expect(answer.body.code).toBe('ERR_POLICY_INVALID');
      expect(answer.body.issues.length).toBeGreaterThan(0);
      expect((await api('GET', '/policies')).body.version).toBe(before);
    });

    it("runs a what-if and shows every policy's verdict", async () => {
      const answer = await api('POST', '/policies/what-if', {
        client: 'latchkey-account',
        user: 'hank',
        ip: '203.0.113.9',
      });
      expect(answer.status).toBe(200);
      expect(answer.body.prediction.outcome).toEqual(expect.stringMatching(/allow|needs|deny/));
      expect(answer.body.decision.verdicts.map((v: { policy: string }) => v.policy)).toContain('block-north');
      const unknown = await api('POST', '/policies/what-if', { client: 'nope', ip: '203.0.113.9' });
      expect(unknown.body.code).toBe('ERR_CLIENT_NOT_FOUND');
    });
  });

  describe('audit', () => {
    it("tells one sign-in's whole story: the method tried, the policy decision and the outcome, in order", async () => {
      const { password } = await server.addUser('ivy');
      const { clientId, clientSecret } = await server.addClient({ name: 'Story', redirectUri: [REDIRECT_URI] });
      const rp = await relyingParty(server, clientId, clientSecret);
      const started = await rp.start();
      const browser = new HttpUser(server.fetch, server.issuer);
      // A wrong password first, then the right one: both belong to the same sign-in.
      const first = await browser.go(started.url);
      if (first.kind !== 'page') throw new Error('expected the sign-in page');
      const again = await browser.submit(first.page, '/password', { username: 'ivy', password: 'not the password' });
      if (again.kind !== 'page') throw new Error('expected the sign-in page again');
      expectCallback(await browser.submit(again.page, '/password', { username: 'ivy', password }));
      const complete = (await server.app.services.audit.search({ username: 'ivy', event: 'login.complete' }))[0]!;
      expect(complete.signIn).toEqual(expect.any(String));
      const story = await call(server, readOnly.token, 'GET', `/audit/sign-ins/${complete.signIn}`);
      const events = story.body.events as Array<{ event: string; outcome: string; signIn: string }>;
      expect(events.every((e) => e.signIn === complete.signIn)).toBe(true);
      expect(events.map((e) => `${e.event}:${e.outcome}`)).toEqual(
        expect.arrayContaining(['login.password:failure', 'login.password:success', 'login.complete:success']),
      );
      expect(events.at(-1)!.event).toBe('login.complete');
      expect(events.findIndex((e) => e.outcome === 'failure')).toBeLessThan(
        events.findIndex((e) => e.event === 'login.complete'),
      );
    });

    it('filters by actor and pages with a cursor, newest first, without repeats', async () => {
      const actor = `client:${manage.clientId}`;
      const first = await call(server, readOnly.token, 'GET', `/audit?actor=${encodeURIComponent(actor)}&limit=3`);
      expect(first.body.events).toHaveLength(3);
      expect(first.body.nextCursor).toEqual(expect.any(String));
      const second = await call(
        server,
        readOnly.token,
        'GET',
        `/audit?actor=${encodeURIComponent(actor)}&limit=3&before=${first.body.nextCursor}`,
      );
      const ids = [...first.body.events, ...second.body.events].map((e: { id: number }) => e.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).toEqual([...ids].sort((a, b) => b - a));
      expect([...first.body.events, ...second.body.events].every((e: { actor: string }) => e.actor === actor)).toBe(
        true,
      );
      expect((await call(server, readOnly.token, 'GET', '/audit?before=abc')).body.code).toBe('ERR_AUDIT_CURSOR');
    });
  });
});
