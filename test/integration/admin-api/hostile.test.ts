// The admin API against a hostile or careless caller (the independent review's cases): no token can hand
// out more than it holds or make itself an administrator, odd input is refused with 400 before it reaches a
// store, and parallel requests on one name end with one winner and clean 409/404s, never a 500.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { backendName } from '../../helpers/backend.js';
import { startServer, type TestServer } from '../../helpers/server.js';
import { adminToken, call } from './helpers.js';

describe(`admin API against hostile callers [${backendName()}]`, () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer({ admin: { api_rate_limit: { max: 100_000, window_seconds: 60 } } });
    const s = server.app.services;
    await server.addUser('root');
    const admins = await s.groups.create('latchkey-admins', null);
    await s.groups.addMember(admins.id, (await s.users.require('root')).id);
    await s.deviceTrust.initCa({ actor: 'test' });
  });
  afterAll(async () => {
    await server?.close();
  });

  const refusedEvents = async (actor: string) =>
    (await server.app.services.audit.search({ event: 'admin.api.refused', actor })).length;

  describe('escalation', () => {
    it('refuses an admin client with scopes its creator lacks, and changing a client holding more', async () => {
      const clients = await adminToken(server, ['latchkey.clients.manage'], 'clients-only');
      const escalate = await call(server, clients.token, 'POST', '/clients/admin', {
        name: 'escalated',
        scopes: ['latchkey.users.manage'],
      });
      expect(escalate.status).toBe(403);
      expect(escalate.body.code).toBe('ERR_ADMIN_SCOPE_ESCALATION');
      expect((await server.app.services.clients.list()).some((c) => c.name === 'escalated')).toBe(false);
      // A client with no more than the caller holds is fine.
      const same = await call(server, clients.token, 'POST', '/clients/admin', {
        name: 'peer',
        scopes: ['latchkey.clients.read'],
      });
      expect(same.status).toBe(201);
      const strong = await adminToken(server, ['latchkey.users.manage', 'latchkey.clients.manage'], 'strong');
      expect((await call(server, clients.token, 'POST', `/clients/${strong.clientId}/secret`)).status).toBe(403);
      expect((await call(server, clients.token, 'DELETE', `/clients/${strong.clientId}`)).status).toBe(403);
      expect(await server.app.services.clients.find(strong.clientId)).toBeDefined();
      expect(await refusedEvents(`client:${clients.clientId}`)).toBe(3);
    });

    it('refuses to change the admin group or an administrator without latchkey.admins.manage', async () => {
      const ops = await adminToken(
        server,
        ['latchkey.groups.manage', 'latchkey.users.manage', 'latchkey.devices.manage'],
        'ops',
      );
      await call(server, ops.token, 'POST', '/users', { username: 'mallory' });
      for (const [method, path, body] of [
        ['PUT', '/groups/latchkey-admins/members/mallory', undefined],
        ['DELETE', '/groups/latchkey-admins/members/root', undefined],
        ['PUT', '/users/root/password', { password: 'mallory knows this one' }],
        ['POST', '/users/root/totp', undefined],
        ['PATCH', '/users/root', { email: 'mallory@example.com' }],
        ['PUT', '/users/root/attributes/entra_oid', { value: 'mallorys-oid' }],
        ['POST', '/enrollment-tokens', { username: 'root' }],
      ] as const) {
        const answer = await call(server, ops.token, method, path, body);
        expect({ path, method, status: answer.status, code: answer.body.code }).toEqual({
          path,
          method,
          status: 403,
          code: 'ERR_ADMIN_SCOPE_ESCALATION',
        });
      }
      const s = server.app.services;
      expect(await s.groups.members((await s.groups.require('latchkey-admins')).id)).toEqual(['root']);
      // Ordinary users stay the ops token's to manage.
      expect(
        (await call(server, ops.token, 'PUT', '/users/mallory/password', { password: 'a long enough one' })).status,
      ).toBe(204);
      const admins = await adminToken(server, ['latchkey.admins.manage', 'latchkey.groups.manage'], 'admins');
      expect((await call(server, admins.token, 'PUT', '/groups/latchkey-admins/members/mallory')).status).toBe(200);
      expect((await call(server, admins.token, 'DELETE', '/groups/latchkey-admins/members/mallory')).status).toBe(200);
    });
  });

  describe('odd input', () => {
    let token: string;
    beforeAll(async () => {
      token = (await adminToken(server, ['latchkey.users.manage', 'latchkey.clients.manage'], 'odd')).token;
    });

    it('refuses deep nesting with 400, and a JWKS whose keys are not flat JWKs', async () => {
      const deep = `{"username":"deep","name":${'['.repeat(5000)}${']'.repeat(5000)}}`;
      const answer = await call(server, token, 'POST', '/users', deep);
      expect(answer.status).toBe(400);
      expect(answer.body.code).toBe('ERR_REQUEST_TOO_DEEP');
      const jwks = await call(server, token, 'POST', '/clients', {
        name: 'Nested',
        redirectUris: ['https://nested.example/cb'],
        authMethod: 'private_key_jwt',
        jwks: { keys: [{ kty: 'EC', extra: [[['deep']]] }] },
      });
      expect(jwks.status).toBe(400);
      expect((await call(server, token, 'GET', '/clients')).status).toBe(200);
    });

    it('refuses a NUL byte or an overlong value in a path parameter with 400 on every backend', async () => {
      expect((await call(server, token, 'GET', '/users/a%00b')).body.code).toBe('ERR_REQUEST_INVALID_FIELD');
      expect((await call(server, token, 'GET', `/users/${'u'.repeat(300)}`)).body.code).toBe(
        'ERR_REQUEST_INVALID_FIELD',
      );
      expect((await call(server, token, 'DELETE', '/clients/a%00b')).status).toBe(400);
    });

    it('refuses a name longer than its column with 400, not a 500', async () => {
      const answer = await call(server, token, 'POST', '/users', { username: 'longname', name: 'n'.repeat(256) });
      expect(answer.status).toBe(400);
      expect(await server.app.services.users.findByUsername('longname')).toBeUndefined();
    });

    it('refuses an encoded body and a charset other than UTF-8 with 415, and takes the scheme in any case', async () => {
      const gzip = await call(server, token, 'POST', '/users', { username: 'zipped' }, { 'content-encoding': 'gzip' });
      expect(gzip.status).toBe(415);
      const latin = await call(server, token, 'POST', '/users', JSON.stringify({ username: 'latin' }), {
        'content-type': 'application/json; charset=latin1',
      });
      expect(latin.status).toBe(415);
      const response = await server.fetch(`${server.issuer}/admin/api/v1/users`, {
        headers: { authorization: `bearer ${token}` },
      });
      expect(response.status).toBe(200);
    });
  });

  describe('parallel requests', () => {
    let token: string;
    beforeAll(async () => {
      token = (
        await adminToken(
          server,
          ['latchkey.users.manage', 'latchkey.groups.manage', 'latchkey.clients.manage'],
          'parallel',
        )
      ).token;
    });

    /** Fires `n` copies of a request at once and counts the answers by status. */
    async function fire(n: number, request: (i: number) => Promise<{ status: number }>) {
      const answers = await Promise.all(Array.from({ length: n }, (_, i) => request(i)));
      const counts: Record<number, number> = {};
      for (const { status } of answers) counts[status] = (counts[status] ?? 0) + 1;
      return counts;
    }

    it('lets one of 30 creations of a user (in mixed case), a group and a client id win; the rest get 409', async () => {
      expect(
        await fire(30, (i) => call(server, token, 'POST', '/users', { username: i % 2 ? 'CaseRacer' : 'caseracer' })),
      ).toEqual({ 201: 1, 409: 29 });
      expect(await fire(30, () => call(server, token, 'POST', '/groups', { name: 'racegroup' }))).toEqual({
        201: 1,
        409: 29,
      });
      expect(
        await fire(30, () =>
          call(server, token, 'POST', '/clients', {
            name: 'Racer',
            clientId: 'race-client',
            redirectUris: ['https://race.example/cb'],
          }),
        ),
      ).toEqual({ 201: 1, 409: 29 });
    });

    it('lets one of 20 users take an attribute value; the rest get 409', async () => {
      for (let i = 0; i < 20; i += 1) await server.addUser(`attr${i}`);
      expect(
        await fire(20, (i) =>
          call(server, token, 'PUT', `/users/attr${i}/attributes/entra_oid`, { value: 'same-oid' }),
        ),
      ).toEqual({ 204: 1, 409: 19 });
    });

    it('rotates a secret once of 20 parallel rotations, the others told to try again', async () => {
      const counts = await fire(20, () => call(server, token, 'POST', '/clients/race-client/secret'));
      expect(counts[200]).toBeGreaterThanOrEqual(1);
      expect((counts[200] ?? 0) + (counts[409] ?? 0)).toBe(20);
    });

    it('removes a group once of 15 parallel removals; the others get 404', async () => {
      await call(server, token, 'POST', '/groups', { name: 'gone' });
      expect(await fire(15, () => call(server, token, 'DELETE', '/groups/gone'))).toEqual({ 204: 1, 404: 14 });
    });
  });
});
