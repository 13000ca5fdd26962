// The whole life of a device certificate as an admin and a user live it: `latchkey ca init`, an enrollment
// token, `latchkey-agent enroll` against a running Latchkey, the certificate in NSS and the browser policy,
// renewal over mutual TLS, revocation and the CRL, and the distribution switch. Real processes, real TLS,
// and independent checks with openssl and certutil.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CHROME_POLICY_FILE } from '../../../src/agent/chrome-policy.js';
import { type AgentState, loadAgentState } from '../../../src/agent/state.js';
import { parseCertificate } from '../../../src/trust/certificate-input.js';
import { spkiSha256 } from '../../../src/trust/digest.js';
import { joinPem, splitPem } from '../../../src/trust/pem.js';
import { INTERMEDIATE_CA_COMMON_NAME } from '../../../src/trust/profile.js';
import { backendName } from '../../helpers/backend.js';
import { startServer, type TestServer } from '../../helpers/server.js';
import { openssl, opensslVerify, writeFiles } from '../../unit/trust/fixtures.js';
import {
  adminCli,
  type AgentHome,
  agentHome,
  enrollArgs,
  mutualTlsFetch,
  type ProcessResult,
  tableCounts,
} from './helpers.js';

describe(`device trust lifecycle [${backendName()}]`, () => {
  let server: TestServer;
  let cli: ReturnType<typeof adminCli>;
  let aliceId: string;
  let laptop: AgentHome;
  let ca: { root: string; intermediate: string };
  const homes: AgentHome[] = [];

  const newHome = () => {
    const home = agentHome();
    homes.push(home);
    return home;
  };
  const ok = (result: ProcessResult) => {
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
    return result.stdout;
  };
  const state = async (home: AgentHome): Promise<AgentState> => (await loadAgentState(home.stateDir))!;
  const token = async (username = 'alice') =>
    (JSON.parse(ok(await cli(['devices', 'enroll-token', username, '--json']))) as { token: string }).token;
  const deviceCheck = async (client: AgentState | null) => {
    const tls = mutualTlsFetch(
      server,
      client && {
        certificatePem: client.certificatePem,
        chainPem: client.chainPem,
        privateKeyPem: client.privateKeyPem,
      },
    );
    try {
      const response = await tls.fetch(`${server.deviceCheckUrl}/device/check`);
      expect(response.status).toBe(200);
      return (await response.json()) as { status: string; reason: string; device?: { id: string } };
    } finally {
      await tls.close();
    }
  };
  const crlText = async () => {
    const response = await server.fetch(`${server.issuer}/device/crl`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/pkix-crl');
    const files = writeFiles({
      'crl.der': new Uint8Array(await response.arrayBuffer()),
      'ca.pem': joinPem([ca.root, ca.intermediate]),
    });
    const crl = openssl([
      'crl',
      '-inform',
      'DER',
      '-in',
      files['crl.der']!,
      '-noout',
      '-text',
      '-CAfile',
      files['ca.pem']!,
    ]);
    expect(crl.output).toContain('verify OK');
    return crl.output;
  };
  const serialOf = (pem: string) => parseCertificate(pem).serialNumber.toUpperCase();

  beforeAll(async () => {
    // Renewal is due a moment after issuance here, so the agent can renew at once; the refusal of an
    // early renewal is covered with the default window in renewal-window.test.ts.
    server = await startServer({ device_trust: { renewal_fraction: '1/10000' } });
    cli = adminCli(server);
    aliceId = (await server.addUser('alice')).user.id;
    laptop = newHome();
  });
  afterAll(async () => {
    for (const home of homes) home.dispose();
    await server?.close();
  });

  it('creates the CA once with `latchkey ca init` and refuses a second one without --force', async () => {
    expect(ok(await cli(['ca', 'init']))).toMatch(
      /^created the device CA\nroot +CN=Latchkey Device Identification Root CA/,
    );
    const again = await cli(['ca', 'init']);
    expect(again.status).toBe(1);
    expect(again.stderr).toBe(
      'latchkey: a device CA already exists: --force replaces it, and every device must then enroll again\n',
    );
    const [root, intermediate] = splitPem(ok(await cli(['ca', 'show', '--pem'])));
    ca = { root: root!, intermediate: intermediate! };
    expect(parseCertificate(ca.intermediate).subject).toBe(`CN=${INTERMEDIATE_CA_COMMON_NAME}`);
  });

  it('enrolls a device with the agent: key, certificate, NSS database and browser policy', async () => {
    const enrolled = await laptop.run(enrollArgs(server, await token()));
    expect(enrolled.stderr).toBe('');
    expect(enrolled.status).toBe(0);
    const current = await state(laptop);
    expect(enrolled.stdout).toContain(`enrolled device ${current.deviceId}; certificate valid until`);
    expect(enrolled.stdout).toContain(`installed "Latchkey Device Trust" into the NSS database ${laptop.nssDir}`);
    expect(current.deviceCheckUrl).toBe(server.deviceCheckUrl);

    const leaf = parseCertificate(current.certificatePem);
    expect(leaf.subject).toBe(`CN=Latchkey Device Trust Certificate – ${leaf.serialNumber.slice(0, 8)}`);
    expect((leaf.notAfter.getTime() - leaf.notBefore.getTime()) / 86_400_000).toBeCloseTo(30, 1);
    expect(opensslVerify(ca.root, ca.intermediate, current.certificatePem, new Date())).toEqual({
      status: 0,
      output: expect.stringMatching(/leaf\.pem: OK\n$/),
    });

    const certutil = spawnSync('certutil', ['-L', '-d', `sql:${laptop.nssDir}`], { encoding: 'utf8' });
    expect(certutil.stdout).toMatch(/^Latchkey Device Trust\s+u,u,u$/m);
    const policy = JSON.parse(readFileSync(path.join(laptop.policyDir, CHROME_POLICY_FILE), 'utf8')) as {
      AutoSelectCertificateForUrls: string[];
    };
    expect(JSON.parse(policy.AutoSelectCertificateForUrls[0]!)).toEqual({
      pattern: server.deviceCheckUrl,
      filter: { ISSUER: { CN: INTERMEDIATE_CA_COMMON_NAME } },
    });
  });

  it('records the device with its owner and posture, and its certificate, and uses up the token', async () => {
    const current = await state(laptop);
    const device = await server.app.services.db('devices').where({ id: current.deviceId }).first();
    expect(device).toMatchObject({ user_id: aliceId, platform: 'linux', hostname: os.hostname(), status: 'active' });
    expect(Boolean(device.managed)).toBe(true);
    const certificate = await server.app.services
      .db('device_certificates')
      .where({ device_id: current.deviceId })
      .first();
    expect(certificate).toMatchObject({ serial: serialOf(current.certificatePem).toLowerCase(), user_id: aliceId });
    expect(await tableCounts(server.app.services.db)).toMatchObject({ devices: 1, certificates: 1, tokensUsed: 1 });
    const listed = ok(await cli(['devices', 'list', '--user', 'alice']));
    expect(listed).toContain(current.deviceId);
  });

  it('reports the device on the device-check listener, and a browser without a certificate as unmanaged', async () => {
    const current = await state(laptop);
    const checked = await deviceCheck(current);
    expect(['managed', 'trusted']).toContain(checked.status);
    expect(checked.device?.id).toBe(current.deviceId);
    expect(await deviceCheck(null)).toEqual({ status: 'unmanaged', reason: 'no device certificate was presented' });
  });

  it('renews over mutual TLS: same device and key, new serial, the old certificate superseded', async () => {
    const before = await state(laptop);
    expect(ok(await laptop.run(['renew', '--force']))).toMatch(/^renewed; certificate valid until /);
    const after = await state(laptop);
    expect(after.deviceId).toBe(before.deviceId);
    expect(serialOf(after.certificatePem)).not.toBe(serialOf(before.certificatePem));
    const key = async (pem: string) => spkiSha256(parseCertificate(pem).publicKey);
    expect(await key(after.certificatePem)).toBe(await key(before.certificatePem));
    const rows = await server.app.services
      .db('device_certificates')
      .where({ device_id: after.deviceId })
      .orderBy('issued_at');
    const old = rows.find((row) => row.serial === serialOf(before.certificatePem).toLowerCase());
    const renewed = rows.find((row) => row.serial === serialOf(after.certificatePem).toLowerCase());
    expect(old).toMatchObject({ revocation_reason: 'superseded' });
    expect(renewed).toMatchObject({ renewed_from: old.serial, revoked_at: null });
    expect(opensslVerify(ca.root, ca.intermediate, after.certificatePem, new Date()).status).toBe(0);
  });

  it('renews with a new key when asked, and the NSS database holds only the new certificate', async () => {
    const before = await state(laptop);
    expect(ok(await laptop.run(['renew', '--force', '--new-key']))).toContain('(new key)');
    const after = await state(laptop);
    expect(after.privateKeyPem).not.toBe(before.privateKeyPem);
    const certutil = spawnSync('certutil', ['-L', '-d', `sql:${laptop.nssDir}`, '-n', 'Latchkey Device Trust', '-a'], {
      encoding: 'utf8',
    });
    expect(splitPem(certutil.stdout)).toEqual([after.certificatePem]);
    expect(ok(await laptop.run(['status']))).toContain(`device ${after.deviceId} enrolled at ${server.issuer}`);
  });

  it("stops trusting a disabled user's device: the check reports it revoked and renewal is refused", async () => {
    const current = await state(laptop);
    const device = (await server.app.services.deviceTrust.device(current.deviceId))!;
    await server.app.services.users.setDisabled(device.userId, true);
    try {
      expect(await deviceCheck(current)).toMatchObject({ status: 'revoked', code: 'ERR_USER_DISABLED' });
      const refused = await laptop.run(['renew', '--force']);
      expect(refused.status).toBe(2);
      expect(refused.stderr + refused.stdout).toContain('disabled');
    } finally {
      await server.app.services.users.setDisabled(device.userId, false);
    }
    expect(['managed', 'trusted']).toContain((await deviceCheck(current)).status);
  });

  it('revokes a certificate with `latchkey certs revoke`: the CRL lists it and renewal is refused', async () => {
    const current = await state(laptop);
    const serial = serialOf(current.certificatePem);
    expect(ok(await cli(['certs', 'revoke', serial, '--reason', 'keyCompromise']))).toBe(
      `revoked certificate ${serial} (keyCompromise)\n`,
    );
    const crl = await crlText();
    expect(crl).toMatch(
      new RegExp(
        `Serial Number: ${serial}\\s+Revocation Date: .*\\s+CRL entry extensions:\\s+X509v3 CRL Reason Code:\\s+Key Compromise`,
      ),
    );
    expect(crl).toMatch(/Next Update: /);
    const refused = await laptop.run(['renew', '--force']);
    expect(refused).toMatchObject({ status: 2, stdout: '' });
    expect(refused.stderr).toMatch(
      /^renewal refused: the server answered 403: the device certificate was revoked \(keyCompromise\)\nask your administrator for a new enrollment token/,
    );
    expect((await deviceCheck(current)).status).toBe('revoked');
  });

  it('revokes a whole device with `latchkey devices revoke`: its certificate is refused and listed', async () => {
    const phone = newHome();
    ok(await phone.run(enrollArgs(server, await token())));
    const current = await state(phone);
    expect(ok(await cli(['devices', 'revoke', current.deviceId]))).toBe(
      `revoked device ${current.deviceId} and 1 certificate(s) (cessationOfOperation)\n`,
    );
    expect(await deviceCheck(current)).toMatchObject({
      status: 'revoked',
      reason: 'the device was revoked (cessationOfOperation)',
    });
    expect(await crlText()).toMatch(
      new RegExp(`Serial Number: ${serialOf(current.certificatePem)}[\\s\\S]*?Cessation Of Operation`),
    );
    expect((await phone.run(['renew', '--force'])).status).toBe(2);
    expect(ok(await cli(['devices', 'show', current.deviceId]))).toMatch(
      /status {5}revoked .* \(cessationOfOperation\)/,
    );
  });

  it('switches distribution off: every device unmanaged, enrollment and renewal refused, the agent removes its certificate', async () => {
    const desktop = newHome();
    ok(await desktop.run(enrollArgs(server, await token())));
    const enrolled = await state(desktop);
    expect(ok(await cli(['devices', 'distribution', 'off']))).toBe('certificate distribution is off\n');

    expect(await deviceCheck(enrolled)).toEqual({
      status: 'unmanaged',
      reason: 'certificate distribution is switched off',
      code: 'ERR_DEVICE_DISTRIBUTION_OFF',
    });
    const before = await tableCounts(server.app.services.db);
    const refused = await newHome().run(enrollArgs(server, await token()));
    expect(refused.status).toBe(4);
    expect(refused.stderr).toBe('the server answered 403: certificate distribution is switched off\n');
    expect(await tableCounts(server.app.services.db)).toEqual({ ...before, tokens: before.tokens + 1 });

    const removed = await desktop.run(['renew', '--check']);
    expect(removed.status).toBe(4);
    expect(removed.stderr).toContain('certificate distribution is switched off: removing the device certificate');
    expect(await loadAgentState(desktop.stateDir)).toBeNull();
    expect(existsSync(path.join(desktop.policyDir, CHROME_POLICY_FILE))).toBe(false);
    const certutil = spawnSync('certutil', ['-L', '-d', `sql:${desktop.nssDir}`], { encoding: 'utf8' });
    expect(certutil.stdout).not.toContain('Latchkey');

    expect(ok(await cli(['devices', 'distribution', 'on']))).toBe('certificate distribution is on\n');
    expect(ok(await cli(['devices', 'distribution', 'status']))).toBe('certificate distribution is on\n');
  });

  it('wrote every admin action and device request to the audit log', async () => {
    const events = await server.app.services.audit.search({ limit: 1000 });
    const seen = new Set(events.map((e) => `${e.event}:${e.outcome}`));
    for (const expected of [
      'admin.ca.init:success',
      'admin.device.enroll-token:success',
      'device.enroll:success',
      'device.enroll:failure',
      'device.renew:success',
      'device.renew:failure',
      'admin.certificate.revoke:success',
      'admin.device.revoke:success',
      'admin.device.distribution:success',
    ]) {
      expect(seen).toContain(expected);
    }
    const refusedRenewal = events.find((e) => e.event === 'device.renew' && e.outcome === 'failure');
    expect(refusedRenewal?.reasons).toEqual(['ERR_DEVICE_DISTRIBUTION_OFF']);
  });
});
