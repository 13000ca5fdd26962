import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { CHROME_POLICY_FILE } from '../../../src/agent/chrome-policy.js';
import { AGENT_EXIT } from '../../../src/agent/exit-codes.js';
import { listNssCertificates, NSS_NICKNAME } from '../../../src/agent/nss.js';
import { loadAgentState } from '../../../src/agent/state.js';
import {
  type AgentEnvironment,
  deriveDeviceCheckUrl,
  enroll,
  exportP12,
  remove,
  renew,
  status,
} from '../../../src/agent/workflow.js';
import { x509 } from '../../../src/trust/x509.js';
import { DAY, NOW, openssl, tempDir } from '../trust/fixtures.js';
import { hasNssTools } from './device-fixture.js';
import { type MiniServer, startMiniServer } from './mini-server.js';

let server: MiniServer;

beforeAll(async () => {
  server = await startMiniServer();
});

afterAll(async () => {
  await server.close();
});

/** A fresh agent environment in temp directories; NSS only where the tools are installed. */
function environment(): AgentEnvironment & { clock: { now: Date }; nssDir: string; policyDir: string } {
  const root = tempDir('latchkey-agent-');
  const clock = { now: NOW };
  const nssDir = path.join(root, '.pki', 'nssdb');
  const policyDir = path.join(root, 'policies', 'managed');
  return {
    stateDir: path.join(root, 'state'),
    nss: hasNssTools() ? { dir: nssDir } : false,
    chromePolicyDirs: [policyDir],
    firefox: false,
    now: () => clock.now,
    posture: async () => ({ platform: 'linux', osVersion: '12', hostname: 'test-host', integrity: 'unknown' }),
    clock,
    nssDir,
    policyDir,
  };
}

const enrolled = async () => {
  const env = environment();
  server.state.now = env.clock.now;
  const report = await enroll({ serverUrl: server.url, token: server.token, serverCaPem: server.tlsCaPem }, env);
  expect(report).toMatchObject({ exitCode: AGENT_EXIT.ok });
  return env;
};

const advance = (env: ReturnType<typeof environment>, days: number) => {
  env.clock.now = new Date(env.clock.now.getTime() + days * DAY);
  server.state.now = env.clock.now;
};

beforeEach(() => server.reset());

describe('latchkey-agent enroll', () => {
  it('stores key and chain, installs into NSS and writes the browser policy, saying where', async () => {
    const env = await enrolled();
    const state = (await loadAgentState(env.stateDir))!;
    expect(state).toMatchObject({ deviceId: 'dev-mini-1', deviceCheckUrl: server.url, serverUrl: server.url });
    expect(statSync(path.join(env.stateDir, 'device.json')).mode & 0o777).toBe(0o600);
    const policy = JSON.parse(readFileSync(path.join(env.policyDir, CHROME_POLICY_FILE), 'utf8')) as {
      AutoSelectCertificateForUrls: string[];
    };
    expect(JSON.parse(policy.AutoSelectCertificateForUrls[0]!)).toEqual({
      pattern: server.url,
      filter: { ISSUER: { CN: 'Latchkey Device Trust Intermediate CA' } },
    });
    if (env.nss) {
      const entries = await listNssCertificates(env.nssDir);
      expect(entries).toContainEqual({ nickname: NSS_NICKNAME, trust: 'u,u,u' });
    }
  });

  it('writes nothing when the token is refused (exit 2)', async () => {
    const env = environment();
    const report = await enroll({ serverUrl: server.url, token: 'used-token', serverCaPem: server.tlsCaPem }, env);
    expect(report.exitCode).toBe(AGENT_EXIT.refused);
    expect(report.lines.join('\n')).toContain('invalid or used');
    expect(await loadAgentState(env.stateDir)).toBeNull();
    expect(existsSync(env.policyDir)).toBe(false);
  });
});

describe('latchkey-agent renew', () => {
  it('does nothing before two thirds of the lifetime (exit 0, no request)', async () => {
    const env = await enrolled();
    advance(env, 10);
    const report = await renew({}, env);
    expect(report.exitCode).toBe(AGENT_EXIT.ok);
    expect(report.lines[0]).toMatch(/^renewal not due until 2030-04-04T/);
    expect(server.state.renewCalls).toBe(0);
  });

  it('renews over mTLS once due, keeping the key and the device', async () => {
    const env = await enrolled();
    const before = (await loadAgentState(env.stateDir))!;
    advance(env, 21);
    const report = await renew({}, env);
    expect(report.exitCode).toBe(AGENT_EXIT.ok);
    const after = (await loadAgentState(env.stateDir))!;
    expect(after.deviceId).toBe(before.deviceId);
    expect(after.privateKeyPem).toBe(before.privateKeyPem);
    expect(after.certificatePem).not.toBe(before.certificatePem);
    expect(new x509.X509Certificate(after.certificatePem).notAfter.getTime()).toBe(env.clock.now.getTime() + 30 * DAY);
    expect(server.state.lastClientSerial).toBe(new x509.X509Certificate(before.certificatePem).serialNumber);
  });

  it('can move to a new key when renewing', async () => {
    const env = await enrolled();
    const before = (await loadAgentState(env.stateDir))!;
    advance(env, 25);
    expect((await renew({ newKey: true }, env)).exitCode).toBe(AGENT_EXIT.ok);
    expect((await loadAgentState(env.stateDir))!.privateKeyPem).not.toBe(before.privateKeyPem);
  });

  it('asks the server when told to, and accepts "not due" from it', async () => {
    const env = await enrolled();
    advance(env, 5);
    const report = await renew({ checkServer: true }, env);
    expect(report).toEqual({ exitCode: AGENT_EXIT.ok, lines: ['renewal not due (server)'] });
    expect(server.state.renewCalls).toBe(1);
  });

  it('exits 2 when the device was revoked, and keeps its files', async () => {
    const env = await enrolled();
    const state = (await loadAgentState(env.stateDir))!;
    server.state.revoked.add(new x509.X509Certificate(state.certificatePem).serialNumber);
    advance(env, 21);
    const report = await renew({}, env);
    expect(report.exitCode).toBe(AGENT_EXIT.refused);
    expect(report.lines.join('\n')).toContain('revoked');
    expect(await loadAgentState(env.stateDir)).not.toBeNull();
  });

  it('exits 2 without asking when the certificate has expired', async () => {
    const env = await enrolled();
    advance(env, 31);
    expect((await renew({}, env)).exitCode).toBe(AGENT_EXIT.refused);
    expect(server.state.renewCalls).toBe(0);
  });

  it('exits 3 when the server is unavailable', async () => {
    const env = await enrolled();
    advance(env, 21);
    server.state.failWith503 = true;
    expect((await renew({}, env)).exitCode).toBe(AGENT_EXIT.unavailable);
  });

  it('removes certificates, policy and key when distribution is off (exit 4)', async () => {
    const env = await enrolled();
    advance(env, 21);
    server.state.distributionOff = true;
    const report = await renew({}, env);
    expect(report.exitCode).toBe(AGENT_EXIT.distributionOff);
    expect(await loadAgentState(env.stateDir)).toBeNull();
    expect(existsSync(path.join(env.policyDir, CHROME_POLICY_FILE))).toBe(false);
    if (env.nss)
      expect(
        (await listNssCertificates(env.nssDir)).filter((entry) => entry.nickname.startsWith(NSS_NICKNAME)),
      ).toEqual([]);
  });

  it('exits 1 when not enrolled', async () => {
    const report = await renew({}, environment());
    expect(report.exitCode).toBe(AGENT_EXIT.localError);
    expect(report.lines[0]).toContain('not enrolled');
  });
});

describe('latchkey-agent status, export-p12 and remove', () => {
  it('shows device, validity and renewal window', async () => {
    const env = await enrolled();
    const report = await status(env);
    expect(report.exitCode).toBe(AGENT_EXIT.ok);
    expect(report.lines.join('\n')).toMatch(/device dev-mini-1[\s\S]+renewal not-due; window opens 2030-04-04T/);
  });

  it('exports a PKCS#12 that openssl opens with the password', async () => {
    const env = await enrolled();
    const out = path.join(tempDir(), 'device.p12');
    const report = await exportP12({ out, password: 'export-pw' }, env);
    expect(report.exitCode).toBe(AGENT_EXIT.ok);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const dump = openssl(['pkcs12', '-in', out, '-passin', 'pass:export-pw', '-nokeys', '-clcerts']);
    expect(dump.output).toContain('subject=CN = Latchkey Device Trust Certificate');
  });

  it('removes everything it installed', async () => {
    const env = await enrolled();
    expect((await remove(env)).exitCode).toBe(AGENT_EXIT.ok);
    expect(await loadAgentState(env.stateDir)).toBeNull();
    expect(existsSync(path.join(env.policyDir, CHROME_POLICY_FILE))).toBe(false);
    if (env.nss) expect(await listNssCertificates(env.nssDir)).toEqual([]);
  });
});

describe('deriveDeviceCheckUrl', () => {
  it('uses the server host on port 8444', () => {
    expect(deriveDeviceCheckUrl('https://id.example.com/some/path')).toBe('https://id.example.com:8444');
  });
});
