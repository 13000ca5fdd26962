// `latchkey policy what-if` must say what enforcement does: for a table of sign-ins, the decision the
// CLI prints for the same facts equals the decision recorded when the sign-in really happened.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startServer, PASSWORD, type TestServer } from '../../helpers/server.js';
import { HttpUser } from '../../helpers/http-user.js';
import { relyingParty, REDIRECT_URI, type RelyingParty } from '../../helpers/rp.js';
import { backendName } from '../../helpers/backend.js';

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
    conditions: { platforms: { linux: { min_os_version: "99" } } }
    outcome: deny
`;

interface Case {
  name: string;
  user?: string;
  ip: string;
  expected: { outcome: string; applied: string[]; deniedBy: string[]; wouldDeny: string[]; requires: string };
}

const CASES: Case[] = [
  {
    name: 'a plain user on an ordinary network',
    user: 'una',
    ip: '192.0.2.40',
    expected: { outcome: 'allow', applied: [], deniedBy: [], wouldDeny: [], requires: 'nothing' },
  },
  {
    name: 'a staff member (mfa required)',
    user: 'stan',
    ip: '192.0.2.41',
    expected: { outcome: 'allow', applied: ['staff-need-mfa'], deniedBy: [], wouldDeny: [], requires: 'mfa' },
  },
  {
    name: 'anyone on a blocked network',
    ip: '203.0.113.9',
    expected: {
      outcome: 'deny',
      applied: ['block-test-net'],
      deniedBy: ['block-test-net'],
      wouldDeny: [],
      requires: 'nothing',
    },
  },
  {
    name: 'a plain user on a watched network (report-only)',
    user: 'una',
    ip: '198.51.100.9',
    expected: { outcome: 'allow', applied: [], deniedBy: [], wouldDeny: ['watch-docs-net'], requires: 'nothing' },
  },
];

describe(`what-if matches enforcement [${backendName()}]`, () => {
  let server: TestServer;
  let rp: RelyingParty;
  let clientId: string;
  let policyFile: string;

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
    const staff = await server.app.services.groups.create('staff');
    await server.addUser('una');
    const { user: stan } = await server.addUser('stan');
    await server.app.services.groups.addMember(staff.id, stan.id);
  });
  afterAll(async () => {
    await server?.close();
  });

  function whatIf(c: Case): Record<string, unknown> {
    const args = [
      'bin/latchkey.js',
      'policy',
      'what-if',
      '--client',
      clientId,
      '--ip',
      c.ip,
      '--json',
      '--user-agent',
      'Mozilla/5.0 (X11; Linux x86_64) LatchkeyTest/1.0',
    ];
    if (c.user) args.push('--user', c.user, '--methods', 'password');
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      LATCHKEY_DATA_DIR: server.dataDir,
      LATCHKEY_POLICIES: policyFile,
    };
    if (server.backend.databaseUrl) env.LATCHKEY_DATABASE_URL = server.backend.databaseUrl;
    const result = spawnSync(process.execPath, args, { env, encoding: 'utf8', timeout: 60_000 });
    if (result.status !== 0) throw new Error(`what-if failed: ${result.stderr}`);
    return (JSON.parse(result.stdout) as { decision: Record<string, unknown> }).decision;
  }

  it.each(CASES)('agrees for $name', async (c) => {
    const before = (await server.app.services.audit.search({ event: 'policy.decision', clientId })).length;
    const started = await rp.start();
    const browser = new HttpUser(server.fetch, server.issuer, undefined, { 'x-forwarded-for': c.ip });
    if (c.user) await browser.signIn(started.url, { username: c.user, password: PASSWORD });
    else await browser.go(started.url);
    const recorded = await server.app.services.audit.search({ event: 'policy.decision', clientId });
    expect(recorded.length).toBe(before + 1);
    const enforced = recorded[0]!;
    const predicted = whatIf(c);
    expect(predicted.outcome === 'deny' ? 'deny' : 'allow').toBe(enforced.outcome);
    const detail = enforced.detail as Record<string, unknown>;
    for (const field of [
      'outcome',
      'basis',
      'requires',
      'appliedPolicies',
      'deniedBy',
      'reportOnly',
      'pendingPolicies',
    ]) {
      expect({ field, value: predicted[field] }).toEqual({ field, value: detail[field] });
    }
    expect({
      outcome: enforced.outcome,
      applied: detail.appliedPolicies,
      deniedBy: detail.deniedBy,
      wouldDeny: (detail.reportOnly as { wouldDeny: string[] }).wouldDeny,
      requires: detail.requires,
    }).toEqual(c.expected);
  });
});
