// `latchkey policy what-if` must say what a real sign-in does: for a table of sign-ins, the outcome the
// CLI predicts (DENY with the words the person reads, NEEDS, or ALLOW) and the steps it predicts on the
// way equal what the sign-in really did, as its audit trail shows, and the decision it prints equals the
// one recorded. The audit trail of every sign-in ends with its real outcome (login.complete), not with an
// "allow" from the policies that the sign-in then could not meet.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { newDeviceKey } from '../../../src/agent/keys.js';
import type { StoredAuditEvent } from '../../../src/store/audit.js';
import { startServer, PASSWORD, type TestServer } from '../../helpers/server.js';
import { HttpUser } from '../../helpers/http-user.js';
import { relyingParty, REDIRECT_URI, type RelyingParty } from '../../helpers/rp.js';
import { backendName } from '../../helpers/backend.js';
import { mutualTlsFetch } from '../device-trust/helpers.js';

const POLICIES = `
default: { first_party: allow, third_party: deny, factor: deny }
policies:
  - name: staff-need-mfa
    state: enabled
    targets: { groups: [staff] }
    outcome: allow
    require: mfa
  - name: block-test-net
    state: enabled
    conditions: { ip: [203.0.113.0/24] }
    outcome: deny
  - name: watch-docs-net
    state: report-only
    conditions: { ip: [198.51.100.0/24] }
    outcome: deny
  - name: linux-only-allowed-old
    state: enabled
    targets: { clients: [dev-console] }
    conditions: { platforms: { linux: { min_os_version: "99" } } }
    outcome: deny
  - name: devs-from-devices
    description: Developers sign in from an enrolled device.
    state: enabled
    targets: { clients: [dev-console], groups: [devs] }
    conditions: { device: [unmanaged] }
    outcome: deny
`;

interface Case {
  name: string;
  user?: string;
  ip: string;
  /** The browser is on devon's enrolled device (it presents the device certificate). */
  onDevice?: boolean;
  /** Sign in to the developers' console (whose policy judges the device) rather than the plain RP. */
  devConsole?: boolean;
  expected: { outcome: 'allow' | 'deny'; steps: string[]; deniedBy?: string[]; requires?: string };
}

const CASES: Case[] = [
  {
    name: 'a plain user on an ordinary network',
    user: 'una',
    ip: '192.0.2.40',
    expected: { outcome: 'allow', steps: ['password'], deniedBy: [], requires: 'nothing' },
  },
  {
    name: 'a staff member with an authenticator app (mfa required)',
    user: 'tess',
    ip: '192.0.2.42',
    expected: { outcome: 'allow', steps: ['password', 'totp'], deniedBy: [], requires: 'mfa' },
  },
  {
    name: 'a staff member without a second factor (mfa required)',
    user: 'stan',
    ip: '192.0.2.41',
    expected: { outcome: 'deny', steps: ['password'], deniedBy: [], requires: 'mfa' },
  },
  {
    name: 'anyone on a blocked network',
    ip: '203.0.113.9',
    expected: { outcome: 'deny', steps: [], deniedBy: ['block-test-net'] },
  },
  {
    name: 'a plain user on a watched network (report-only)',
    user: 'una',
    ip: '198.51.100.9',
    expected: { outcome: 'allow', steps: ['password'], deniedBy: [] },
  },
  {
    name: 'a developer whose browser presents no device certificate',
    user: 'devon',
    ip: '192.0.2.43',
    devConsole: true,
    expected: { outcome: 'deny', steps: ['device_certificate', 'password'], deniedBy: ['devs-from-devices'] },
  },
  {
    name: 'a developer on their enrolled device',
    user: 'devon',
    ip: '192.0.2.44',
    onDevice: true,
    devConsole: true,
    expected: { outcome: 'allow', steps: ['device_certificate', 'password'], deniedBy: [] },
  },
];

/** DER of a single PEM block. */
function pemToDer(pem: string): Uint8Array {
  return Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
}

/** The method an audit event of a sign-in step stands for (login.password → password), if it is one. */
function stepOf(event: StoredAuditEvent): string | undefined {
  const match = /^login\.(password|totp|passkey|device_certificate)$/.exec(event.event);
  return match?.[1];
}

describe(`what-if predicts real sign-ins [${backendName()}]`, () => {
  let server: TestServer;
  let rp: RelyingParty;
  let devRp: RelyingParty;
  let clientId: string;
  let policyFile: string;
  let tessTotp: string;
  let device: ReturnType<typeof mutualTlsFetch>;
  let deviceTrust: string;

  beforeAll(async () => {
    policyFile = path.join(mkdtempSync(path.join(tmpdir(), 'latchkey-whatif-')), 'policies.yaml');
    writeFileSync(policyFile, POLICIES);
    server = await startServer({
      policies: { file: policyFile },
      server: { trusted_proxies: ['127.0.0.1/32', '::1'] },
    });
    const client = await server.addClient({ name: 'What-if RP', redirectUri: [REDIRECT_URI] });
    clientId = client.clientId;
    rp = await relyingParty(server, client.clientId, client.clientSecret);
    const dev = await server.addClient({ name: 'Dev console', clientId: 'dev-console', redirectUri: [REDIRECT_URI] });
    devRp = await relyingParty(server, dev.clientId, dev.clientSecret);
    const s = server.app.services;
    const staff = await s.groups.create('staff');
    const devs = await s.groups.create('devs');
    await server.addUser('una');
    const { user: stan } = await server.addUser('stan');
    const { user: tess, totpSecret } = await server.addUser('tess', { totp: true });
    tessTotp = totpSecret!;
    const { user: devon } = await server.addUser('devon');
    await s.groups.addMember(staff.id, stan.id);
    await s.groups.addMember(staff.id, tess.id);
    await s.groups.addMember(devs.id, devon.id);
    // devon's laptop, enrolled as the agent does it.
    await s.deviceTrust.initCa({ actor: 'test' });
    const { token } = await s.deviceTrust.createEnrollmentToken('devon', { actor: 'test' });
    const key = await newDeviceKey();
    const issued = await s.deviceTrust.enroll({
      token,
      csr: key.csrPem,
      posture: { platform: 'linux', osVersion: '6.1', integrity: 'secure-boot-on' },
    });
    device = mutualTlsFetch(server, {
      certificatePem: issued.certificatePem,
      chainPem: issued.chainPem,
      privateKeyPem: key.privateKeyPem,
    });
    deviceTrust = (await s.deviceTrust.check(pemToDer(issued.certificatePem))).status;
  });
  afterAll(async () => {
    await device?.close();
    await server?.close();
  });

  /** Runs the CLI (asynchronously: the server answers in this process) and returns its exit code and output. */
  function cli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      LATCHKEY_DATA_DIR: server.dataDir,
      LATCHKEY_POLICIES: policyFile,
    };
    if (server.backend.databaseUrl) env.LATCHKEY_DATABASE_URL = server.backend.databaseUrl;
    const child = spawn(process.execPath, ['bin/latchkey.js', 'policy', 'what-if', ...args], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    return new Promise((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
  }

  const UA = 'Mozilla/5.0 (X11; Linux x86_64) LatchkeyTest/1.0';

  async function whatIf(c: Case, extra: string[] = []) {
    const args = ['--client', c.devConsole ? 'dev-console' : clientId, '--ip', c.ip, '--user-agent', UA, ...extra];
    if (c.user) args.push('--user', c.user);
    if (c.onDevice) args.push('--device-trust', deviceTrust);
    const result = await cli(args);
    if (result.status !== 0) throw new Error(`what-if failed: ${result.stderr}`);
    return result.stdout;
  }

  async function signIn(c: Case): Promise<StoredAuditEvent[]> {
    const since = Date.now();
    const started = await (c.devConsole ? devRp : rp).start();
    const browser = new HttpUser(server.fetch, server.issuer, UA, { 'x-forwarded-for': c.ip });
    if (c.onDevice) browser.onDevice(device.fetch);
    if (c.user) {
      const totpSecret = c.user === 'tess' ? tessTotp : undefined;
      await browser.signIn(started.url, { username: c.user, password: PASSWORD, totpSecret });
    } else await browser.go(started.url);
    const events = await server.app.services.audit.search({
      clientId: c.devConsole ? 'dev-console' : clientId,
      since,
    });
    return events.reverse();
  }

  it.each(CASES)('predicts the outcome and the steps for $name', async (c) => {
    const trail = await signIn(c);
    const predicted = JSON.parse(await whatIf(c, ['--json'])) as {
      prediction: { outcome: string; steps: Array<{ method: string }>; message?: string; reason?: string };
      decision: Record<string, unknown>;
    };
    const complete = trail.filter((event) => event.event === 'login.complete');
    expect(complete).toHaveLength(1);
    const real = complete[0]!;
    const realSteps = trail.map(stepOf).filter(Boolean);

    expect({ outcome: predicted.prediction.outcome, steps: predicted.prediction.steps.map((s) => s.method) }).toEqual({
      outcome: real.outcome === 'success' ? 'allow' : 'deny',
      steps: realSteps,
    });
    expect(predicted.prediction.outcome).toBe(c.expected.outcome);
    expect(realSteps).toEqual(c.expected.steps);
    // A denied person reads exactly what the prediction says they would.
    if (real.outcome === 'failure') expect(predicted.prediction.message).toBe(real.reasons[0]);

    // The printed decision is the one the sign-in recorded last.
    const decisions = trail.filter((event) => event.event === 'policy.decision');
    expect(decisions).toHaveLength(1);
    const detail = decisions[0]!.detail as Record<string, unknown>;
    for (const field of ['outcome', 'basis', 'requires', 'appliedPolicies', 'deniedBy', 'reportOnly']) {
      expect({ field, value: predicted.decision[field] }).toEqual({ field, value: detail[field] });
    }
    if (c.expected.deniedBy) expect(detail.deniedBy).toEqual(c.expected.deniedBy);
    if (c.expected.requires) expect(detail.requires).toBe(c.expected.requires);
  });

  it('ends the audit trail of a sign-in with its real outcome, after the policy decision', async () => {
    const stan = CASES.find((c) => c.user === 'stan')!;
    const trail = await signIn(stan);
    expect(trail.map((event) => `${event.event} ${event.outcome}`)).toEqual([
      'login.password success',
      'policy.decision allow',
      'login.complete failure',
    ]);
    expect(trail.at(-1)!.reasons[0]).toMatch(/^This sign-in requires multi-factor authentication/);
    expect(trail.at(-1)!.detail).toMatchObject({ error: 'access_denied' });
  });

  it('says in text what the person reads and why, and the steps of an allowed sign-in', async () => {
    const stan = await whatIf(CASES.find((c) => c.user === 'stan')!);
    expect(stan).toMatch(/^Prediction: DENY after password \(access_denied\)\n/);
    expect(stan).toContain('  the person reads: This sign-in requires multi-factor authentication');
    expect(stan).toContain('  why: allowed by policy staff-need-mfa');
    expect(stan).toContain('mfa cannot be met by stan (enrolled: password)');
    expect(stan).toContain('Decision: ALLOW (policy)');

    const tess = await whatIf(CASES.find((c) => c.user === 'tess')!);
    expect(tess).toMatch(/^Prediction: ALLOW after password, then totp\n {2}acr urn:latchkey:acr:mfa/);
    expect(tess).toContain('1. password (identifies the user)');
    expect(tess).toContain('2. totp (every sign-in of a user with a second factor requires mfa)');
  });

  it('stops at NEEDS with the method asked next when the user is not given', async () => {
    const text = await whatIf({ name: 'anyone', ip: '192.0.2.50', expected: { outcome: 'allow', steps: [] } });
    expect(text).toMatch(/^Prediction: NEEDS password\n {2}asked because: identifies the user\n/);
    expect(text).toContain('give --user to follow the sign-in to its end');
  });

  it('predicts a step-up of an existing session from --methods', async () => {
    const args = ['--client', clientId, '--ip', '192.0.2.51', '--user', 'tess', '--methods', 'password'];
    const result = await cli(args);
    expect(result.stdout).toMatch(/^Prediction: ALLOW after totp\n/);
  });

  it('counts --group as a membership: a plain user in staff needs mfa', async () => {
    const result = await cli(['--client', clientId, '--ip', '192.0.2.52', '--user', 'una', '--group', 'staff']);
    expect(result.stdout).toMatch(/^Prediction: DENY after password/);
  });

  it.each([
    [['--client', 'what-if-rq'], 'no client "what-if-rq"'],
    [['--client', '__CLIENT__', '--user', 'tesss'], 'no user "tesss" (did you mean tess?)'],
    [['--client', '__CLIENT__', '--user', 'una', '--group', 'staf'], 'no group "staf" (did you mean staff?)'],
    [['--client', '__CLIENT__', '--methods', 'password'], '--methods describes a session: name its user with --user'],
    [['--client', '__CLIENT__', '--device-trust', 'trusty'], '(did you mean trusted?)'],
    [['--client', '__CLIENT__', '--user', 'una', '--device-trust', 'trusted'], 'una has no enrolled device'],
  ])('refuses %j with a message naming what to change', async (args, message) => {
    const result = await cli([...args.map((a) => (a === '__CLIENT__' ? clientId : a)), '--ip', '192.0.2.53']);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(message);
  });

  it('suggests the registered client id for a misspelt one, and takes --client-type for one not registered yet', async () => {
    const misspelt = clientId.slice(0, -1) + (clientId.endsWith('x') ? 'y' : 'x');
    const refused = await cli(['--client', misspelt, '--ip', '192.0.2.54']);
    expect(refused.stderr).toContain(`(did you mean ${clientId}?)`);
    expect(refused.stderr).toContain('give --client-type');
    const future = await cli(['--client', 'not-yet', '--client-type', 'third_party', '--ip', '192.0.2.54']);
    expect(future.stdout).toMatch(/^Prediction: NEEDS password\n/);
    expect(future.stdout).toContain('client not-yet (third_party) is targeted');
  });
});
