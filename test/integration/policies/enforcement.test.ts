// Conditional access enforced on real sign-ins through openid-client: MFA requirements, IP denies,
// report-only, sign-in frequency on existing sessions, hot reload keeping the last good set, and
// failing closed when no good policy set was ever loaded.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startServer, PASSWORD, type TestServer } from '../../helpers/server.js';
import { HttpUser, expectCallback } from '../../helpers/http-user.js';
import { relyingParty, REDIRECT_URI, type RelyingParty } from '../../helpers/rp.js';
import { backendName } from '../../helpers/backend.js';

const POLICIES = `
default: { first_party: allow, third_party: allow, factor: deny }
named_locations:
  blocked-range: [203.0.113.0/24]
policies:
  - name: finance-needs-mfa
    state: enabled
    targets: { groups: [finance] }
    outcome: allow
    require: mfa
  - name: block-range
    description: Sign-ins from this network are blocked.
    state: enabled
    conditions: { ip: [blocked-range] }
    outcome: deny
  - name: would-block-docs-range
    state: report-only
    conditions: { ip: [198.51.100.0/24] }
    outcome: deny
  - name: reverify-daily
    state: enabled
    targets: { users: [fran] }
    outcome: allow
    require: password
    sign_in_frequency: 1h
`;

describe(`policy enforcement [${backendName()}]`, () => {
  let server: TestServer;
  let rp: RelyingParty;
  let policyFile: string;
  const from = (ip: string) => new HttpUser(server.fetch, server.issuer, undefined, { 'x-forwarded-for': ip });

  beforeAll(async () => {
    const dir = (await import('node:fs')).mkdtempSync(
      path.join((await import('node:os')).tmpdir(), 'latchkey-policies-'),
    );
    policyFile = path.join(dir, 'policies.yaml');
    writeFileSync(policyFile, POLICIES);
    server = await startServer({
      policies: { file: policyFile },
      server: { trusted_proxies: ['127.0.0.1/32', '::1'] },
    });
    const client = await server.addClient({ name: 'Policy RP', redirectUri: [REDIRECT_URI] });
    rp = await relyingParty(server, client.clientId, client.clientSecret);
    const s = server.app.services;
    const finance = await s.groups.create('finance');
    const { user: fiona } = await server.addUser('fiona');
    const { user: felix } = await server.addUser('felix', { totp: true });
    await s.groups.addMember(finance.id, fiona.id);
    await s.groups.addMember(finance.id, felix.id);
    await server.addUser('nina');
    await server.addUser('fran');
  });
  afterAll(async () => {
    await server?.close();
  });

  it('denies a finance user who has no second factor, at the redirect_uri, with the reason', async () => {
    const started = await rp.start();
    const callback = expectCallback(
      await from('192.0.2.10').signIn(started.url, { username: 'fiona', password: PASSWORD }),
    );
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('error_description')).toContain('multi-factor authentication');
    expect(callback.searchParams.get('state')).toBe(started.state);
    const [decision] = await server.app.services.audit.search({ username: 'fiona', event: 'policy.decision' });
    expect(decision?.reasons.join(' ')).toContain('finance-needs-mfa');
  });

  it('lets a finance user with TOTP in with mfa', async () => {
    const totpSecret = server.app.services.box.openText(
      (await server.app.services.users.require('felix')).totpSecretSealed!,
      'totp-secret',
    );
    const started = await rp.start();
    const tokens = await rp.finish(
      expectCallback(
        await from('192.0.2.11').signIn(started.url, { username: 'felix', password: PASSWORD, totpSecret }),
      ),
      started,
    );
    expect(tokens.claims()!.amr).toEqual(expect.arrayContaining(['mfa']));
  });

  it('denies a blocked IP range before asking for any password', async () => {
    const started = await rp.start();
    const landing = await from('203.0.113.50').go(started.url);
    const callback = expectCallback(landing);
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('error_description')).toBe('Sign-ins from this network are blocked.');
  });

  it('cannot be fooled by a client that prepends addresses to X-Forwarded-For', async () => {
    // The trusted proxy appends the address it saw (203.0.113.50); the client forged the rest.
    const spoofing = from('10.9.9.9, 192.0.2.99, 203.0.113.50');
    const callback = expectCallback(await spoofing.go((await rp.start()).url));
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('error_description')).toBe('Sign-ins from this network are blocked.');
  });

  it('records a report-only policy that would deny, without enforcing it', async () => {
    const started = await rp.start();
    const tokens = await rp.finish(
      expectCallback(await from('198.51.100.7').signIn(started.url, { username: 'nina', password: PASSWORD })),
      started,
    );
    expect(tokens.claims()!.sub).toBeDefined();
    const [decision] = await server.app.services.audit.search({ username: 'nina', event: 'policy.decision' });
    expect(decision?.outcome).toBe('allow');
    expect(decision?.reasons.join('\n')).toMatch(/would-block-docs-range \(report-only\): deny/);
    expect((decision?.detail?.reportOnly as { wouldDeny: string[] }).wouldDeny).toEqual(['would-block-docs-range']);
  });

  it('forces the password again once the sign-in frequency has passed, even with a live session', async () => {
    const browser = from('192.0.2.20');
    const first = await rp.start();
    await rp.finish(expectCallback(await browser.signIn(first.url, { username: 'fran', password: PASSWORD })), first);
    const fresh = await rp.start({ prompt: 'none' });
    expect(expectCallback(await browser.go(fresh.url)).searchParams.get('code')).toBeTruthy();

    // Age what the session proved by two hours, as if the user came back after lunch.
    const sessionId = browser.cookies.get('_session')!;
    const session = (await server.app.services.oidcStore.adapterFor('Session').find(sessionId))!;
    const proofs = server.app.services.sessionProofs;
    const record = (await proofs.find(session.uid as string))!;
    const aged = (record.proofs as Array<{ at: number }>).map((proof) => ({ ...proof, at: proof.at - 7200 }));
    await proofs.save({ ...record, proofs: aged });

    const silent = await rp.start({ prompt: 'none' });
    expect(expectCallback(await browser.go(silent.url)).searchParams.get('error')).toBe('login_required');
    const again = await rp.start();
    const page = await browser.go(again.url);
    if (page.kind !== 'page') throw new Error('expected the password page');
    expect(page.page.html).toContain('name="password"');
    const tokens = await rp.finish(
      expectCallback(await browser.submit(page.page, '/password', { username: 'fran', password: PASSWORD })),
      again,
    );
    expect(tokens.claims()!.sub).toBeDefined();
    const passwords = await server.app.services.audit.search({ username: 'fran', event: 'login.password' });
    expect(passwords.filter((e) => e.outcome === 'success')).toHaveLength(2);
  });

  it('keeps the last good policy set when a reload finds a bad file, and applies a good one', async () => {
    writeFileSync(policyFile, POLICIES.replace('203.0.113.0/24', '203.0.113.0/33'));
    const bad = await server.app.reloadPolicies();
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.issues[0]?.message).toContain('/33');
    const stillBlocked = expectCallback(await from('203.0.113.50').go((await rp.start()).url));
    expect(stillBlocked.searchParams.get('error')).toBe('access_denied');

    // An alias bomb is a bad file like any other, not a crash.
    const bomb = [
      'a: &a [1]',
      'b: &b [*a,*a,*a,*a,*a,*a,*a,*a]',
      'c: &c [*b,*b,*b,*b,*b,*b,*b,*b]',
      'd: &d [*c,*c,*c,*c,*c,*c,*c,*c]',
      'e: [*d,*d,*d,*d,*d,*d,*d,*d]',
    ];
    writeFileSync(policyFile, bomb.join('\n') + '\n');
    const exploded = await server.app.reloadPolicies();
    expect(exploded.ok).toBe(false);
    if (!exploded.ok) expect(exploded.issues[0]?.message).toContain('alias');

    writeFileSync(policyFile, POLICIES.replace('203.0.113.0/24', '192.0.2.128/25'));
    expect((await server.app.reloadPolicies()).ok).toBe(true);
    const started = await rp.start();
    const tokens = await rp.finish(
      expectCallback(await from('203.0.113.50').signIn(started.url, { username: 'nina', password: PASSWORD })),
      started,
    );
    expect(tokens.claims()!.sub).toBeDefined();
    writeFileSync(policyFile, POLICIES);
    await server.app.reloadPolicies();
  });
});

describe(`failing closed [${backendName()}]`, () => {
  let server: TestServer;
  beforeAll(async () => {
    const dir = (await import('node:fs')).mkdtempSync(
      path.join((await import('node:os')).tmpdir(), 'latchkey-policies-'),
    );
    const file = path.join(dir, 'policies.yaml');
    writeFileSync(file, 'default: maybe\n');
    server = await startServer({ policies: { file } });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('refuses every sign-in with temporarily_unavailable and reports not ready when no good policy set was ever loaded', async () => {
    const client = await server.addClient({ name: 'Closed RP', redirectUri: [REDIRECT_URI] });
    const rp = await relyingParty(server, client.clientId, client.clientSecret);
    await server.addUser('olga');
    const started = await rp.start();
    const callback = expectCallback(await new HttpUser(server.fetch, server.issuer).go(started.url));
    expect(callback.searchParams.get('error')).toBe('temporarily_unavailable');
    // The audit trail still ends with the sign-in's outcome.
    const [ended] = await server.app.services.audit.search({ clientId: client.clientId, event: 'login.complete' });
    expect(ended).toMatchObject({ outcome: 'failure', detail: { error: 'temporarily_unavailable' } });
    const ready = await server.fetch(`${server.issuer}/readyz`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { checks: Record<string, string> }).checks.policies).toBe('unavailable');
  });
});
