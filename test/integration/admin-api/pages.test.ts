// The admin API's paged lists (users, devices, certificates): walking every page with the cursor gives each
// row once, in the list's order, also when rows share a timestamp and while rows are added; search and
// filters narrow the pages; a cursor that this list did not hand out, or an out-of-range limit, is a 400.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { backendName } from '../../helpers/backend.js';
import { startServer, type TestServer } from '../../helpers/server.js';
import { enrolledDevice } from '../device-trust/helpers.js';
import { adminToken, call } from './helpers.js';

describe(`admin API pages [${backendName()}]`, () => {
  let server: TestServer;
  let token: string;

  beforeAll(async () => {
    server = await startServer();
    ({ token } = await adminToken(server, ['latchkey.users.manage', 'latchkey.devices.manage']));
    const users = server.app.services.users;
    for (let i = 0; i < 23; i++) {
      await users.create({
        username: `user${String(i).padStart(2, '0')}`,
        email: i % 5 === 0 ? `Five.${i}@Example.com` : null,
        name: i === 7 ? 'Seven Of Nine' : null,
        passwordHash: null,
      });
    }
    await users.create({ username: 'a_b', email: null, name: '100% sure', passwordHash: null });
    await users.create({ username: 'axb', email: null, name: null, passwordHash: null });
    await users.create({ username: 'ezola', email: null, name: 'Émile Zola', passwordHash: null });
  });
  afterAll(async () => server?.close());

  const api = (path: string) => call(server, token, 'GET', path);

  /** Every item of a list, a page of `limit` at a time, with the number of pages it took. */
  async function walk(path: string, name: string, limit: number) {
    const items: Array<Record<string, unknown>> = [];
    let pages = 0;
    let after: string | undefined;
    do {
      const separator = path.includes('?') ? '&' : '?';
      const answer = await api(`${path}${separator}limit=${limit}${after ? `&after=${after}` : ''}`);
      expect(answer.status).toBe(200);
      expect(answer.body[name].length).toBeLessThanOrEqual(limit);
      items.push(...answer.body[name]);
      after = answer.body.nextCursor;
      pages += 1;
    } while (after !== undefined && pages < 100);
    return { items, pages };
  }

  it('walks every user once, by username, and says when the last page came', async () => {
    const all = (await server.app.services.users.list()).map((u) => u.username);
    const { items, pages } = await walk('/users', 'users', 5);
    expect(items.map((u) => u.username)).toEqual(all);
    expect(pages).toBe(Math.ceil(all.length / 5));
    const whole = await api('/users?limit=500');
    expect(whole.body.users).toHaveLength(all.length);
    expect(whole.body).not.toHaveProperty('nextCursor');
  });

  it('keeps its place while users are added before and after the cursor', async () => {
    const first = await api('/users?limit=3');
    await server.app.services.users.create({ username: 'aaa-late', email: null, name: null, passwordHash: null });
    await server.app.services.users.create({ username: 'zzz-late', email: null, name: null, passwordHash: null });
    const second = await api(`/users?limit=3&after=${first.body.nextCursor}`);
    const last = first.body.users.at(-1).username;
    expect(second.body.users.map((u: { username: string }) => u.username)).toEqual(
      (await server.app.services.users.list())
        .map((u) => u.username)
        .filter((name) => name > last)
        .slice(0, 3),
    );
  });

  it('finds users by text in username, email or name, in any case, taking % and _ literally', async () => {
    const found = async (q: string) =>
      (await walk(`/users?q=${encodeURIComponent(q)}`, 'users', 2)).items.map((u) => u.username);
    expect(await found('five.')).toEqual(['user00', 'user05', 'user10', 'user15', 'user20']);
    expect(await found('EXAMPLE.COM')).toHaveLength(5);
    expect(await found('seven of')).toEqual(['user07']);
    expect(await found('a_b')).toEqual(['a_b']);
    expect(await found('100%')).toEqual(['a_b']);
    expect(await found('_')).toEqual(['a_b']);
    expect(await found('no such text')).toEqual([]);
    // Folded with Unicode rules on SQLite too, whose own lower() folds ASCII only.
    expect(await found('ÉMILE')).toEqual(['ezola']);
    expect(await found('émile')).toEqual(['ezola']);
  });

  it('walks devices newest first, each once, also when they were enrolled in the same millisecond', async () => {
    await server.app.services.deviceTrust.initCa({ actor: 'test' });
    await server.addUser('owner-a');
    await server.addUser('owner-b');
    const ids: string[] = [];
    for (const owner of ['owner-a', 'owner-b', 'owner-a', 'owner-b', 'owner-a']) {
      ids.push((await enrolledDevice(server, owner)).deviceId);
    }
    const newestFirst = [...ids].reverse();
    expect((await walk('/devices', 'devices', 2)).items.map((d) => d.id)).toEqual(newestFirst);
    expect((await walk('/devices?username=owner-a', 'devices', 1)).items.map((d) => d.id)).toEqual(
      newestFirst.filter((_, i) => i % 2 === 0),
    );
    const certificates = (await walk('/certificates', 'certificates', 2)).items;
    expect(certificates).toHaveLength(5);
    // Every time is an RFC 3339 string, a certificate's validity included (it was epoch milliseconds).
    for (const field of ['notBefore', 'notAfter', 'issuedAt']) {
      expect(certificates.every((c) => /^\d{4}-\d\d-\d\dT[\d:.]+Z$/.test(String(c[field])))).toBe(true);
    }

    // The same enrollment time for all: the id decides, and no page repeats or skips one.
    await server.app.services.db('devices').whereIn('id', ids).update({ enrolled_at: Date.now() });
    const tied = (await walk('/devices', 'devices', 2)).items.map((d) => d.id as string);
    expect(tied).toEqual([...ids].sort().reverse());
  });

  it('filters devices by trust level as the console shows it', async () => {
    const { items } = await walk('/devices', 'devices', 500);
    const revoked = items[0]!.id as string;
    expect((await call(server, token, 'POST', `/devices/${revoked}/revoke`, {})).status).toBe(200);
    const ofLevel = async (trust: string) => (await walk(`/devices?trust=${trust}`, 'devices', 2)).items;
    expect((await ofLevel('revoked')).map((d) => d.id)).toEqual([revoked]);
    const trusted = await ofLevel('trusted');
    const managed = await ofLevel('managed');
    expect(trusted.length + managed.length).toBe(items.length - 1);
    expect(trusted.every((d) => d.status === 'active' && d.managed && d.integrity === 'passed')).toBe(true);
    expect(managed.every((d) => d.status === 'active' && !(d.managed && d.integrity === 'passed'))).toBe(true);
    expect((await api('/devices?trust=sort-of')).body.code).toBe('ERR_REQUEST_INVALID_FIELD');
  });

  it('refuses a cursor it did not hand out, and a limit out of range, with a 400 problem', async () => {
    const userCursor = (await api('/users?limit=1')).body.nextCursor as string;
    const certificateCursor = (await api('/certificates?limit=1')).body.nextCursor as string;
    const forged = (key: unknown) => Buffer.from(JSON.stringify(key)).toString('base64url');
    const cases: Array<[string, string]> = [
      ['/users?after=not-a-cursor!', 'ERR_PAGE_CURSOR'],
      ['/users?after=bm90IGpzb24', 'ERR_PAGE_CURSOR'],
      [`/users?after=${Buffer.from('[1,2]').toString('base64url')}`, 'ERR_PAGE_CURSOR'],
      [`/devices?after=${userCursor}`, 'ERR_PAGE_CURSOR'],
      [`/certificates?after=${userCursor}`, 'ERR_PAGE_CURSOR'],
      // Same key shape as a device cursor, but another list's: refused, not a wrong page.
      [`/devices?after=${certificateCursor}`, 'ERR_PAGE_CURSOR'],
      // A NUL inside the key would reach PostgreSQL as text, which it refuses (a 500 before).
      [`/users?after=${forged(['users', 'a\u0000b'])}`, 'ERR_PAGE_CURSOR'],
      ['/users?q=a%00b', 'ERR_REQUEST_INVALID_FIELD'],
      ['/users?limit=0', 'ERR_REQUEST_INVALID_FIELD'],
      ['/users?limit=501', 'ERR_REQUEST_INVALID_FIELD'],
      ['/devices?limit=ten', 'ERR_REQUEST_INVALID_FIELD'],
    ];
    for (const [path, code] of cases) {
      const answer = await api(path);
      expect({ path, status: answer.status, code: answer.body.code }).toEqual({ path, status: 400, code });
      expect(answer.type).toMatch(/^application\/problem\+json/);
    }
  });
});
