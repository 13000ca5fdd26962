// `latchkey-agent install-timer` on a real enrolled device: the systemd units it writes pass
// systemd-analyze, the service's ExecStart is the agent itself with the same state directory and runs a
// real `renew --check` against the server, and when systemctl cannot enable the timer (no systemd user
// session, as in this container) the agent names that step and the command to run. `remove-timer` deletes
// the units.
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SYSTEMD_UNIT } from '../../../src/agent/platforms/systemd.js';
import { backendName } from '../../helpers/backend.js';
import { startServer, type TestServer } from '../../helpers/server.js';
import { agentHome, enrollArgs, type AgentHome } from './helpers.js';

/** ExecStart's arguments: double-quoted ones unquoted (what systemd does for these). */
function execStart(unit: string): string[] {
  const line = /^ExecStart=(.*)$/m.exec(unit)![1]!;
  return [...line.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((match) =>
    (match[1] ?? match[2]!).replace(/\\(.)/g, '$1').replaceAll('%%', '%'),
  );
}

describe(`latchkey-agent install-timer [${backendName()}]`, () => {
  let server: TestServer;
  let device: AgentHome;
  const unitDir = () => path.join(device.home, '.config', 'systemd', 'user');

  beforeAll(async () => {
    server = await startServer();
    await server.app.services.deviceTrust.initCa({ actor: 'test' });
    await server.addUser('tim');
    device = agentHome();
    const { token } = await server.app.services.deviceTrust.createEnrollmentToken('tim', { actor: 'test' });
    expect((await device.run(enrollArgs(server, token))).status).toBe(0);
  });
  afterAll(async () => {
    device?.dispose();
    await server?.close();
  });

  it('writes units that verify and run the agent with its own state, and says how to enable them', async () => {
    const installed = await device.run(['install-timer', '--user']);
    const service = readFileSync(path.join(unitDir(), `${SYSTEMD_UNIT}.service`), 'utf8');
    const timer = path.join(unitDir(), `${SYSTEMD_UNIT}.timer`);
    expect(readFileSync(timer, 'utf8')).toContain('OnCalendar=daily');
    if (installed.status === 0) {
      expect(installed.stdout).toContain(`renewal runs daily: ${SYSTEMD_UNIT}.timer`);
    } else {
      expect(installed.status).toBe(1);
      expect(installed.stderr).toMatch(
        /step 3 of 4 failed \(let systemd read the units\): systemctl --user daemon-reload/,
      );
      expect(installed.stderr).toContain(`enable them with: systemctl --user enable --now ${SYSTEMD_UNIT}.timer`);
    }
    const verify = spawnSync('systemd-analyze', ['verify', timer, path.join(unitDir(), `${SYSTEMD_UNIT}.service`)], {
      encoding: 'utf8',
    });
    expect({ status: verify.status, stderr: verify.stderr }).toEqual({ status: 0, stderr: '' });

    const command = execStart(service);
    expect(command.slice(0, 2)).toEqual([process.execPath, path.resolve('bin/latchkey-agent.js')]);
    expect(command).toEqual(expect.arrayContaining(['--state-dir', device.stateDir, '--nss-dir', device.nssDir]));
    expect(command.slice(-2)).toEqual(['renew', '--check']);
    // What the timer will run, run now: the server answers that renewal is not due.
    // (Asynchronously: the server answering it runs in this process.)
    const ran = await promisify(execFile)(command[0]!, command.slice(1), {
      env: { PATH: process.env.PATH, HOME: device.home },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(ran).toEqual({ stdout: 'renewal not due (server)\n', stderr: '' });
  });

  it('removes the units', async () => {
    const removed = await device.run(['remove-timer', '--user']);
    expect(removed.stdout + removed.stderr).toContain(`removed ${SYSTEMD_UNIT}.timer and .service`);
    expect(existsSync(path.join(unitDir(), `${SYSTEMD_UNIT}.timer`))).toBe(false);
    expect(existsSync(path.join(unitDir(), `${SYSTEMD_UNIT}.service`))).toBe(false);
  });
});
