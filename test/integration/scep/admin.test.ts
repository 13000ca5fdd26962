// How admins and MDMs handle SCEP: admin API tokens (created by the CLI, hashed, scoped, revocable,
// expiring) guarding POST /admin/scep/challenges; the `latchkey scep` and `latchkey api-tokens` commands
// as real processes; and the plain-HTTP listener, which serves SCEP and nothing else.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { backendName } from '../../helpers/backend.js';
import type { TestServer } from '../../helpers/server.js';
import type { ProcessResult } from '../device-trust/helpers.js';
import { caCertificates, enroll, freePort, newDevice, scepCli, startScepServer } from './helpers.js';

describe(`SCEP administration [${backendName()}]`, () => {
  let server: TestServer;
  let cli: (args: readonly string[]) => Promise<ProcessResult>;

  const challenges = (body: unknown, token?: string) =>
    server.fetch(`${server.issuer}/admin/scep/challenges`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      },
      body: JSON.stringify(body),
    });
  const token = async (scopes: string[], ttlMs: number | null = null) =>
    (await server.app.services.adminTokens.create({ name: 'mdm', scopes, ttlMs, createdBy: 'test' }, Date.now())).token;

  beforeAll(async () => {
    server = await startScepServer({ scep: { plain_http: { port: await freePort(), host: '127.0.0.1' } } });
    await server.addUser('alice');
    cli = scepCli(server);
  });
  afterAll(async () => server?.close());

  describe('POST /admin/scep/challenges', () => {
    it('hands a one-time challenge for a user (by username or email) and profile to a token with scep:challenges', async () => {
      const good = await token(['scep:challenges']);
      const response = await challenges({ user: 'alice@example.com', profile: 'ios', ttl_seconds: 600 }, good);
      expect(response.status).toBe(201);
      expect(response.headers.get('cache-control')).toBe('no-store');
      const body = (await response.json()) as Record<string, string>;
      expect(body).toEqual({
        challenge: expect.stringMatching(/^lkd-[0-9a-f]{48}$/),
        user: 'alice',
        profile: 'ios',
        expires_at: expect.any(String),
      });
      expect(Date.parse(body.expires_at!) - Date.now()).toBeGreaterThan(590_000);
      expect((await enroll(server, await newDevice(), { challenge: body.challenge })).certRep?.status).toBe('SUCCESS');
      const [event] = await server.app.services.audit.search({ event: 'admin.scep.challenge', limit: 1 });
      expect(event).toMatchObject({ actor: 'api:mdm', username: 'alice', detail: { profile: 'ios' } });
    });

    it('stores only a hash of the challenge and of the token', async () => {
      const raw = await token(['scep:challenges']);
      const { challenge } = (await (await challenges({ user: 'alice', profile: 'ios' }, raw)).json()) as {
        challenge: string;
      };
      const db = server.app.services.db;
      const dump = JSON.stringify([await db('scep_challenges').select(), await db('admin_api_tokens').select()]);
      expect(dump).not.toContain(challenge);
      expect(dump).not.toContain(raw);
    });

    it('answers 401 without a token, or with an unknown, revoked or expired one; 403 without the scope', async () => {
      const noAuth = await challenges({ user: 'alice', profile: 'ios' });
      expect(noAuth.status).toBe(401);
      expect(noAuth.headers.get('www-authenticate')).toBe('Bearer realm="latchkey-admin", scope="scep:challenges"');
      expect(await noAuth.json()).toMatchObject({ error: 'ERR_ADMIN_TOKEN_MISSING' });
      const revoked = await server.app.services.adminTokens.create(
        { name: 'old', scopes: ['scep:challenges'], ttlMs: null, createdBy: 'test' },
        Date.now(),
      );
      await server.app.services.adminTokens.revoke(revoked.record.id, Date.now());
      const expired = await token(['scep:challenges'], 1);
      await new Promise((resolve) => setTimeout(resolve, 5));
      for (const bad of ['lkat_unknown', revoked.token, expired, 'not-even-a-token']) {
        const response = await challenges({ user: 'alice', profile: 'ios' }, bad);
        expect({ bad, status: response.status }).toEqual({ bad, status: 401 });
        expect(((await response.json()) as { error: string }).error).toBe('ERR_ADMIN_TOKEN_INVALID');
      }
      const unscoped = await challenges({ user: 'alice', profile: 'ios' }, await token([]));
      expect(unscoped.status).toBe(403);
      expect(await unscoped.json()).toMatchObject({ error: 'ERR_ADMIN_TOKEN_SCOPE' });
    });

    it('refuses a challenge for an administrator unless the token also holds latchkey.admins.manage', async () => {
      // A device enrolled for an administrator opens the admin console, so this route asks what the admin
      // API's own SCEP route asks; before, any scep:challenges token got one.
      const { user } = await server.addUser('root-admin');
      const { groups } = server.app.services;
      const adminGroup = (await groups.find('latchkey-admins')) ?? (await groups.create('latchkey-admins'));
      await groups.addMember(adminGroup.id, user.id);
      const count = async () =>
        Number(((await server.app.services.db('scep_challenges').count({ n: '*' }).first()) as { n: number }).n);
      const before = await count();
      for (const login of ['root-admin', 'ROOT-ADMIN@example.com']) {
        const refused = await challenges({ user: login, profile: 'ios' }, await token(['scep:challenges']));
        expect(refused.status).toBe(403);
        expect(await refused.json()).toMatchObject({
          error: 'ERR_ADMIN_SCOPE_ESCALATION',
          error_description:
            'a SCEP challenge for root-admin, a member of the admin group, needs latchkey.admins.manage, which this caller does not hold',
        });
      }
      expect(await count()).toBe(before);
      const [refusal] = await server.app.services.audit.search({ event: 'admin.api.refused', limit: 1 });
      expect(refusal).toMatchObject({ outcome: 'failure', actor: 'api:mdm' });
      expect(refusal?.reasons).toContain('ERR_ADMIN_SCOPE_ESCALATION');
      const allowed = await challenges(
        { user: 'root-admin', profile: 'ios' },
        await token(['scep:challenges', 'latchkey.admins.manage']),
      );
      expect(allowed.status).toBe(201);
      expect(await count()).toBe(before + 1);
    });

    it('refuses unknown users (404) and profiles (404), a missing profile with two configured (400), and bad bodies (400)', async () => {
      const good = await token(['scep:challenges']);
      const cases: Array<[unknown, number, string]> = [
        [{ user: 'nobody', profile: 'ios' }, 404, 'ERR_USER_NOT_FOUND'],
        [{ user: 'alice', profile: 'android' }, 404, 'ERR_SCEP_PROFILE_UNKNOWN'],
        [{ user: 'alice' }, 400, 'ERR_SCEP_PROFILE_REQUIRED'],
        [{ user: 'alice', profile: 'ios', extra: 1 }, 400, 'ERR_REQUEST_UNKNOWN_FIELD'],
        [{ profile: 'ios' }, 400, 'ERR_REQUEST_MISSING_FIELD'],
        [{ user: 'alice', profile: 'ios', ttl_seconds: 10 }, 400, 'ERR_SCEP_CHALLENGE_TTL'],
        [{ user: 'al\u0000ice', profile: 'ios' }, 400, 'ERR_REQUEST_INVALID_FIELD'],
      ];
      const before = Number(
        ((await server.app.services.db('scep_challenges').count({ n: '*' }).first()) as { n: number }).n,
      );
      for (const [body, status, code] of cases) {
        const response = await challenges(body, good);
        expect({ body, status: response.status, code: ((await response.json()) as { error: string }).error }).toEqual({
          body,
          status,
          code,
        });
      }
      const after = Number(
        ((await server.app.services.db('scep_challenges').count({ n: '*' }).first()) as { n: number }).n,
      );
      expect(after).toBe(before);
    });
  });

  describe('the CLI', () => {
    it('creates, lists and revokes admin API tokens; a revoked one stops working', async () => {
      const created = await cli([
        'api-tokens',
        'create',
        '--name',
        'jamf',
        '--scope',
        'scep:challenges',
        '--ttl',
        '90d',
      ]);
      expect(created.status).toBe(0);
      const raw = /^(lkat_\S+)$/m.exec(created.stdout)![1]!;
      const id = /admin API token (\S+) for jamf/.exec(created.stdout)![1]!;
      expect((await challenges({ user: 'alice', profile: 'ios' }, raw)).status).toBe(201);
      const listed = await cli(['api-tokens', 'list']);
      expect(listed.stdout).toMatch(new RegExp(`^${id}\\s+jamf\\s+scep:challenges\\s+.*active$`, 'm'));
      expect(listed.stdout).not.toContain(raw);
      expect((await cli(['api-tokens', 'revoke', id])).status).toBe(0);
      expect((await challenges({ user: 'alice', profile: 'ios' }, raw)).status).toBe(401);
      expect(await cli(['api-tokens', 'revoke', id])).toMatchObject({
        status: 1,
        stderr: `latchkey: no active admin API token with id ${id}\n`,
      });
      const badScope = await cli(['api-tokens', 'create', '--name', 'x', '--scope', 'everything']);
      expect(badScope.status).toBe(2);
    });

    it('rotates a static challenge (printed once) that then enrolls, and clears it', async () => {
      const rotated = await cli(['scep', 'static-challenge', 'rotate', 'macos']);
      expect(rotated.status).toBe(0);
      const challenge = /^(lks-[0-9a-f]+)$/m.exec(rotated.stdout)![1]!;
      const device = await newDevice();
      const answer = await enroll(server, device, {
        profile: 'macos',
        challenge,
        names: [{ type: 'email', value: 'alice@example.com' }],
      });
      expect(answer.certRep?.status).toBe('SUCCESS');
      const shown = await cli(['scep', 'show']);
      expect(shown.stdout).toMatch(/^RA\s+CN=Latchkey SCEP RA$/m);
      expect(shown.stdout).toMatch(new RegExp(`^macos\\s+macos\\s+passed\\s+${server.issuer}/scep/macos\\s+set `, 'm'));
      expect(shown.stdout).toMatch(new RegExp(`^ios\\s+ios\\s+unknown\\s+${server.issuer}/scep/ios\\s+none$`, 'm'));
      expect(await cli(['scep', 'static-challenge', 'clear', 'macos'])).toMatchObject({ status: 0 });
      const again = await enroll(server, await newDevice(), {
        profile: 'macos',
        challenge,
        names: [{ type: 'email', value: 'alice@example.com' }],
      });
      expect(again.certRep).toMatchObject({ status: 'FAILURE', failInfo: 'badRequest' });
      expect(await cli(['scep', 'static-challenge', 'rotate', 'windows'])).toMatchObject({ status: 1 });
    });

    it('makes a one-time challenge for a person (JSON with the URL), refusing unknown users and bad durations', async () => {
      const made = await cli(['scep', 'challenge', '--user', 'alice', '--profile', 'ios', '--ttl', '30m', '--json']);
      expect(made.status).toBe(0);
      const parsed = JSON.parse(made.stdout) as Record<string, string>;
      expect(parsed).toMatchObject({ username: 'alice', profile: 'ios', url: `${server.issuer}/scep/ios` });
      expect((await enroll(server, await newDevice(), { challenge: parsed.challenge })).certRep?.status).toBe(
        'SUCCESS',
      );
      expect(await cli(['scep', 'challenge', '--user', 'nobody', '--profile', 'ios'])).toMatchObject({
        status: 1,
        stderr: 'latchkey: no user named "nobody"\n',
      });
      expect((await cli(['scep', 'challenge', '--user', 'alice', '--profile', 'ios', '--ttl', 'soon'])).status).toBe(2);
      expect(await cli(['scep', 'challenge', '--user', 'alice'])).toMatchObject({
        status: 1,
        stderr: 'latchkey: name the SCEP profile: one of ios, macos\n',
      });
    });

    it('replaces the RA with `scep init --force`; clients get the new one from GetCACert', async () => {
      const before = await cli(['scep', 'show', '--pem']);
      expect(before.stdout.match(/BEGIN CERTIFICATE/g)).toHaveLength(3);
      expect((await cli(['scep', 'init'])).status).toBe(0);
      expect((await cli(['scep', 'show', '--pem'])).stdout).toBe(before.stdout);
      expect((await cli(['scep', 'init', '--force'])).status).toBe(0);
      const after = await cli(['scep', 'show', '--pem']);
      expect(after.stdout).not.toBe(before.stdout);
      const gotten = await (await server.fetch(`${server.issuer}/scep/ios?operation=GetCACert`)).arrayBuffer();
      expect(gotten.byteLength).toBeGreaterThan(0);
      expect(
        (
          await enroll(server, await newDevice(), {
            challenge: (await server.app.services.scep.createChallenge('alice', 'ios', {})).challenge,
          })
        ).certRep?.status,
      ).toBe('SUCCESS');
    });
  });

  describe('the RA', () => {
    it('is replaced on first use after it enters its last week, once; `scep show` never replaces it', async () => {
      const [before] = await caCertificates(server);
      const fingerprint = async () => /sha256\s+([0-9a-f]{64})/.exec((await cli(['scep', 'show'])).stdout)![1];
      const shownBefore = await fingerprint();
      await server.app.services.db('scep_ra_certificates').update({ not_after: Date.now() + 86_400_000 });
      expect(await fingerprint()).toBe(shownBefore);
      const [replaced] = await caCertificates(server);
      const [again] = await caCertificates(server);
      expect(replaced!.equal(before!)).toBe(false);
      expect(again!.equal(replaced!)).toBe(true);
      expect(await fingerprint()).not.toBe(shownBefore);
      const [issued] = await server.app.services.audit.search({ event: 'scep.ra.issue', limit: 1 });
      expect(issued).toMatchObject({ actor: null, detail: { replaced: shownBefore } });
    });
  });

  describe('the plain-HTTP listener', () => {
    const plain = (target: string, init?: RequestInit) =>
      fetch(`http://127.0.0.1:${server.app.scepPlainHttpPort}${target}`, init);

    it('serves SCEP', async () => {
      const response = await plain('/scep/ios?operation=GetCACaps');
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('POSTPKIOperation\nSHA-256\nAES\nSCEPStandard\nRenewal\n');
    });

    it('serves nothing else: not the admin API, not OIDC, not the device endpoints', async () => {
      for (const target of ['/admin/scep/challenges', '/.well-known/openid-configuration', '/device/crl', '/']) {
        const response = await plain(target, target.startsWith('/admin') ? { method: 'POST', body: '{}' } : undefined);
        expect({ target, status: response.status }).toEqual({ target, status: 404 });
        expect(await response.json()).toEqual({
          error: 'ERR_NOT_FOUND',
          error_description: 'only SCEP is served on this listener',
        });
      }
    });
  });
});
