// The admin API's keys, device CA and SCEP operations: a staged signing-key rotation and retirement, a new
// intermediate, the SCEP RA and challenges, each audited with the admin client as actor; no private key
// ever appears in an answer.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { backendName } from '../../helpers/backend.js';
import type { TestServer } from '../../helpers/server.js';
import { startScepServer } from '../scep/helpers.js';
import { adminToken, call } from './helpers.js';

describe(`admin API keys, CA and SCEP [${backendName()}]`, () => {
  let server: TestServer;
  let keys: { clientId: string; token: string };
  let reader: { clientId: string; token: string };

  beforeAll(async () => {
    server = await startScepServer();
    keys = await adminToken(server, ['latchkey.keys.manage', 'latchkey.devices.manage']);
    reader = await adminToken(server, ['latchkey.keys.read'], 'reader');
  });
  afterAll(async () => {
    await server?.close();
  });

  const api = (method: string, path: string, body?: unknown) => call(server, keys.token, method, path, body);

  it('rotates the signing keys in stages, refuses to retire the key that signs, and retires an old one', async () => {
    const before = await call(server, reader.token, 'GET', '/keys');
    expect(before.status).toBe(200);
    expect(before.body.nodes).toEqual({ live: expect.any(Number), current: expect.any(Number) });
    const signing = before.body.keys.filter((k: { state: string }) => k.state === 'signing');
    expect(signing.length).toBeGreaterThan(0);
    expect((await call(server, reader.token, 'POST', '/keys/rotate')).status).toBe(403);
    const rotated = await api('POST', '/keys/rotate');
    expect(rotated.status).toBe(201);
    expect(rotated.body.added.map((k: { alg: string }) => k.alg).sort()).toEqual(['ES256', 'RS256']);
    expect(JSON.stringify(rotated.body)).not.toMatch(/PRIVATE KEY|"d":/);
    const inUse = await api('POST', `/keys/${signing[0].kid}/retire`);
    expect([409, 400]).toContain(inUse.status);
    expect(inUse.body.code).toBe('ERR_KEY_IN_USE');
    expect((await api('POST', '/keys/no-such-kid/retire')).body.code).toBe('ERR_KEY_NOT_FOUND');
    const [event] = await server.app.services.audit.search({ event: 'admin.keys.rotate' });
    expect(event?.actor).toBe(`client:${keys.clientId}`);
  });

  it('shows the device CA without its keys and issues a new intermediate', async () => {
    const before = await call(server, reader.token, 'GET', '/ca');
    expect(before.body.rootPem).toContain('BEGIN CERTIFICATE');
    expect(JSON.stringify(before.body)).not.toContain('PRIVATE KEY');
    const rotated = await api('POST', '/ca/rotate-intermediate');
    expect(rotated.status).toBe(200);
    expect(rotated.body.intermediate.fingerprintSha256).not.toBe(before.body.intermediate.fingerprintSha256);
    expect(rotated.body.root.fingerprintSha256).toBe(before.body.root.fingerprintSha256);
  });

  it('sets up the SCEP RA, rotates and clears a static challenge, and hands out a one-time challenge', async () => {
    await server.addUser('mdm-user');
    const ra = await api('POST', '/scep/ra', {});
    expect(ra.body.chainPem).toHaveLength(3);
    const shown = await call(server, reader.token, 'GET', '/scep');
    expect(shown.body.profiles.map((p: { name: string }) => p.name)).toContain('ios');
    expect(shown.body.profiles[0].url).toBe(`${server.issuer}/scep/${shown.body.profiles[0].name}`);
    // A static challenge enrolls any user's device, an administrator's too: keys.manage alone is refused.
    const refused = await api('POST', '/scep/profiles/ios/static-challenge');
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('ERR_ADMIN_SCOPE_ESCALATION');
    const untouched = (await call(server, reader.token, 'GET', '/scep')).body.profiles;
    expect(untouched.find((p: { name: string }) => p.name === 'ios').staticChallengeSince).toBeFalsy();
    const admins = await adminToken(server, ['latchkey.keys.manage', 'latchkey.admins.manage'], 'pki-admin');
    const rotated = await call(server, admins.token, 'POST', '/scep/profiles/ios/static-challenge');
    expect(rotated.status).toBe(201);
    expect(rotated.body.challenge).toEqual(expect.any(String));
    const after = await call(server, reader.token, 'GET', '/scep');
    const ios = after.body.profiles.find((p: { name: string }) => p.name === 'ios');
    expect(ios.staticChallengeSince).toMatch(/^\d{4}-/);
    expect(JSON.stringify(after.body)).not.toContain(rotated.body.challenge);
    expect((await api('DELETE', '/scep/profiles/ios/static-challenge')).body).toEqual({ cleared: true });
    expect((await api('DELETE', '/scep/profiles/nope/static-challenge')).status).toBe(404);
    const challenge = await api('POST', '/scep/challenges', { username: 'mdm-user', profile: 'ios' });
    expect(challenge.status).toBe(201);
    expect(challenge.body).toMatchObject({ username: 'mdm-user', profile: 'ios', challenge: expect.any(String) });
  });
});
