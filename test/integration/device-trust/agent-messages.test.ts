// What the admin and the device user are told around an enrollment, with the real CLI and agent against
// a running Latchkey on the default renewal window: the enroll command the admin is handed works as
// printed, an untrusted server certificate points at --ca-file, `latchkey devices renew-now` lets a
// device renew before its window, and a revoked device is told to ask for a new enrollment token.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadAgentState } from '../../../src/agent/state.js';
import { backendName } from '../../helpers/backend.js';
import { startServer, type TestServer } from '../../helpers/server.js';
import { adminCli, type AgentHome, agentHome, type ProcessResult } from './helpers.js';

describe(`device agent messages [${backendName()}]`, () => {
  let server: TestServer;
  let cli: ReturnType<typeof adminCli>;
  let laptop: AgentHome;
  let printed: string;

  const ok = (result: ProcessResult) => {
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
    return result.stdout;
  };
  /** The agent command line `enroll-token` printed, split into arguments (no quoting in it). */
  const printedCommand = (output: string) => {
    const line = output.split('\n').find((l) => l.startsWith('on the device: '))!;
    return line.replace('on the device: latchkey-agent ', '').split(' ');
  };

  beforeAll(async () => {
    server = await startServer();
    cli = adminCli(server);
    await server.addUser('alice');
    ok(await cli(['ca', 'init']));
    laptop = agentHome();
  });
  afterAll(async () => {
    laptop?.dispose();
    await server?.close();
  });

  it('prints an agent command with --ca-file for the development certificate, and says what to copy', async () => {
    printed = ok(await cli(['devices', 'enroll-token', 'alice']));
    const cert = server.app.tls.devCertFile!;
    expect(printed).toMatch(
      new RegExp(
        `\\non the device: latchkey-agent enroll --server ${server.issuer} --token lket_\\S+ --ca-file ${cert}\\n`,
      ),
    );
    expect(printed).toContain(`(the server uses its development TLS certificate: on another device, copy ${cert}`);
    expect(printed).toContain('(the issuer is localhost: only an agent on this machine reaches it;');
  });

  it('suggests --ca-file when the server certificate is not trusted', async () => {
    const args = printedCommand(printed).filter((arg, i, all) => arg !== '--ca-file' && all[i - 1] !== '--ca-file');
    const refused = await laptop.run([...args, '--no-nss', '--no-policy']);
    expect(refused.status).toBe(3);
    expect(refused.stderr).toContain(
      `cannot reach ${server.issuer}: its TLS certificate is not trusted on this device (`,
    );
    expect(refused.stderr).toContain('give that certificate (PEM) with --ca-file FILE when enrolling');
  });

  it('enrolls with the command exactly as printed', async () => {
    const enrolled = await laptop.run([...printedCommand(printed), '--no-nss', '--no-policy']);
    expect(enrolled.stderr).toBe('');
    expect(enrolled.stdout).toMatch(/^enrolled device /);
  });

  it('renews before the window only after `latchkey devices renew-now`, and once', async () => {
    const { deviceId, certificatePem } = (await loadAgentState(laptop.stateDir))!;
    expect(ok(await laptop.run(['--no-nss', '--no-policy', 'renew', '--force']))).toBe('renewal not due (server)\n');
    expect(ok(await cli(['devices', 'renew-now', deviceId]))).toMatch(
      new RegExp(`^device ${deviceId} may renew its certificate from \\S+: the agent does at its next`),
    );
    expect(ok(await laptop.run(['--no-nss', '--no-policy', 'renew', '--check']))).toMatch(
      /^renewed; certificate valid/,
    );
    expect((await loadAgentState(laptop.stateDir))!.certificatePem).not.toBe(certificatePem);
    // The renewed certificate follows the ordinary window again.
    expect(ok(await laptop.run(['--no-nss', '--no-policy', 'renew', '--force']))).toBe('renewal not due (server)\n');
    const audit = ok(await cli(['audit', 'search', '--event', 'admin.device.renew-now', '--json']));
    expect(audit).toContain('"outcome":"success"');
  });

  it('refuses renew-now for an unknown device', async () => {
    const result = await cli(['devices', 'renew-now', 'no-such-device']);
    expect(result).toMatchObject({ status: 1, stderr: 'latchkey: no device with id no-such-device\n' });
  });

  it('tells a revoked device to ask for a new enrollment token, and status shows it revoked', async () => {
    const { deviceId } = (await loadAgentState(laptop.stateDir))!;
    ok(await cli(['devices', 'revoke', deviceId]));
    const hint =
      'ask your administrator for a new enrollment token (latchkey devices enroll-token USER), then run: ' +
      `latchkey-agent enroll --server ${server.issuer} --token TOKEN --ca-file FILE\n`;
    const refused = await laptop.run(['--no-nss', '--no-policy', 'renew', '--check']);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toBe(
      'renewal refused: the server answered 403: the device was revoked (cessationOfOperation)\n' + hint,
    );
    const status = await laptop.run(['status']);
    expect(status.status).toBe(2);
    expect(status.stderr).toMatch(
      new RegExp(`^device ${deviceId} enrolled at .*\\nREVOKED: the server refused this device on \\S+ \\(`),
    );
    expect(status.stderr.endsWith(hint)).toBe(true);
    const again = await cli(['devices', 'renew-now', deviceId]);
    expect(again.stderr).toContain('is revoked: it cannot renew; give its user a new enrollment token instead');
  });
});
