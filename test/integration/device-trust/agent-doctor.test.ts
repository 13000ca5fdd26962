// `latchkey-agent doctor` on a real enrolled device against a real server: everything in place reads ok
// (the NSS database, a Firefox profile, the browser policies, the server's own view over mutual TLS); a
// policy file removed, a certificate missing from a new Firefox profile, a missing timer and a device
// revoked on the server are each named with the command that puts it right, and `install` does.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CHROME_POLICY_FILE } from '../../../src/agent/chrome-policy.js';
import { backendName } from '../../helpers/backend.js';
import { startServer, type TestServer } from '../../helpers/server.js';
import { agentHome, enrollArgs, type AgentHome } from './helpers.js';

describe(`latchkey-agent doctor [${backendName()}]`, () => {
  let server: TestServer;
  let device: AgentHome;
  let deviceId: string;
  const profile = () => path.join(device.home, '.mozilla', 'firefox', 'p1.default');

  beforeAll(async () => {
    server = await startServer();
    await server.app.services.deviceTrust.initCa({ actor: 'test' });
    await server.addUser('doc');
    device = agentHome();
    mkdirSync(profile(), { recursive: true });
    writeFileSync(
      path.join(device.home, '.mozilla', 'firefox', 'profiles.ini'),
      '[Profile0]\nName=default\nIsRelative=1\nPath=p1.default\n',
    );
    const { token } = await server.app.services.deviceTrust.createEnrollmentToken('doc', { actor: 'test' });
    const enrolled = await device.run(enrollArgs(server, token));
    expect(enrolled.status).toBe(0);
    deviceId = /enrolled device (\S+);/.exec(enrolled.stdout)![1]!;
  });
  afterAll(async () => {
    device?.dispose();
    await server?.close();
  });

  it('reads ok where everything is in place, warning only of the missing timer', async () => {
    const result = await device.run(['doctor']);
    expect(result.status).toBe(0);
    const out = result.stdout;
    expect(out).toContain(`ok   enrolled: device ${deviceId}`);
    expect(out).toContain(`ok   the device certificate is in the NSS database ${device.nssDir}`);
    expect(out).toContain(`ok   the device certificate is in the Firefox profile ${profile()}`);
    expect(out).toContain(`ok   the auto-select policy ${path.join(device.policyDir, CHROME_POLICY_FILE)} names`);
    expect(out).toContain('ok   Firefox selects the client certificate by itself');
    expect(out).toMatch(/warn no renewal timer.*\n\s+→ latchkey-agent install-timer/);
    expect(out).toMatch(/ok {3}https:\/\/localhost:\d+ accepts this certificate: managed/);
    expect(out).toContain('everything is in place for the device check');
  });

  it('names what is wrong and what to run, and install puts the local part right', async () => {
    rmSync(path.join(device.policyDir, CHROME_POLICY_FILE));
    const second = path.join(device.home, '.mozilla', 'firefox', 'p2.work');
    mkdirSync(second, { recursive: true });
    writeFileSync(
      path.join(device.home, '.mozilla', 'firefox', 'profiles.ini'),
      '[Profile0]\nName=default\nIsRelative=1\nPath=p1.default\n\n[Profile1]\nName=work\nIsRelative=1\nPath=p2.work\n',
    );
    const broken = await device.run(['doctor']);
    expect(broken.status).toBe(1);
    expect(broken.stderr).toMatch(
      /FIX {2}the auto-select policy .* is missing: the browser will ask which certificate/,
    );
    expect(broken.stderr).toMatch(
      new RegExp(
        `FIX {2}the device certificate is not in the Firefox profile ${second}\\n\\s+→ latchkey-agent install`,
      ),
    );
    expect(broken.stderr).toContain('2 thing(s) to fix');

    const installed = await device.run(['install']);
    expect(installed.status).toBe(0);
    expect((await device.run(['doctor'])).status).toBe(0);
  });

  it('installs into the profiles that can take it when one cannot, and says which', async () => {
    const root = path.join(device.home, '.mozilla', 'firefox');
    const damaged = path.join(root, 'p3.damaged');
    mkdirSync(damaged, { recursive: true });
    writeFileSync(path.join(damaged, 'cert9.db'), 'not an NSS database');
    writeFileSync(
      path.join(root, 'profiles.ini'),
      '[Profile0]\nIsRelative=1\nPath=p1.default\n\n[Profile1]\nIsRelative=1\nPath=p3.damaged\n',
    );
    const installed = await device.run(['install']);
    expect(installed.status).toBe(0);
    expect(installed.stdout).toContain(`could not install into the Firefox profile ${damaged}: certutil failed`);
    expect(installed.stdout).toContain(`into the Firefox profile ${profile()} (restart Firefox to use it)`);
    expect(installed.stdout).toContain('wrote the Chrome/Chromium certificate auto-select policy');
  });

  it('says the server refuses a revoked device', async () => {
    await server.app.services.deviceTrust.revokeDevice(deviceId, { actor: 'test' });
    const result = await device.run(['doctor']);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/FIX {2}https:\/\/localhost:\d+ does not accept this certificate: revoked/);
    expect(result.stderr).toContain('enroll again');
  });
});
