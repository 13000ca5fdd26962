// The device-trust admin commands as an operator runs them, without a server: `ca import` checks an
// organisation's CA before storing it, `ca init --force` replaces it, and every refused command names
// what is wrong in one line and changes nothing.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createDeviceCa } from '../../../src/trust/ca/create.js';
import { certificateSha256 } from '../../../src/trust/digest.js';
import { backendName, prepareBackend, type Backend } from '../../helpers/backend.js';
import { writeFiles } from '../../unit/trust/fixtures.js';

const BIN = path.resolve('bin/latchkey.js');

describe(`latchkey ca / devices / certs [${backendName()}]`, () => {
  let backend: Backend;
  let dataDir: string;
  let env: NodeJS.ProcessEnv;

  const cli = (args: string[], input?: string) =>
    new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
      const child = execFile(process.execPath, [BIN, ...args], { env, encoding: 'utf8' }, (error, stdout, stderr) =>
        resolve({ status: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      );
      if (input !== undefined) child.stdin?.end(input);
    });
  const refused = async (args: string[], status: number, stderr: string) => {
    expect(await cli(args)).toEqual({ status, stdout: '', stderr: `latchkey: ${stderr}\n` });
  };

  beforeAll(async () => {
    backend = await prepareBackend();
    dataDir = mkdtempSync(path.join(tmpdir(), 'latchkey-ca-cli-'));
    env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      LATCHKEY_DATA_DIR: dataDir,
      ...(backend.databaseUrl ? { LATCHKEY_DATABASE_URL: backend.databaseUrl } : {}),
    };
    expect((await cli(['users', 'add', 'alice', '--password-stdin'], 'correct horse battery staple\n')).status).toBe(0);
  });
  afterAll(async () => {
    await backend?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('says there is no CA yet', async () => {
    await refused(['ca', 'show'], 1, 'no device CA yet: run "latchkey ca init"');
  });

  it("imports an organisation's CA after checking it, and never holds the root's key", async () => {
    const org = await createDeviceCa({ now: new Date(), organization: 'Example Corp' });
    const stranger = await createDeviceCa({ now: new Date() });
    const files = writeFiles({
      'root.pem': org.root.certificatePem,
      'intermediate.pem': org.intermediate.certificatePem,
      'intermediate.key': org.intermediate.privateKeyPem,
      'stranger.key': stranger.intermediate.privateKeyPem,
    });
    const args = (overrides: Record<string, string> = {}) => {
      const chosen = {
        root: files['root.pem']!,
        intermediate: files['intermediate.pem']!,
        key: files['intermediate.key']!,
        ...overrides,
      };
      return ['ca', 'import', '--root', chosen.root, '--intermediate', chosen.intermediate, '--key', chosen.key];
    };
    await refused(args({ intermediate: files['root.pem']! }), 1, 'the intermediate CA certificate is the root itself');
    await refused(
      args({ key: files['stranger.key']! }),
      1,
      'the private key does not belong to the intermediate CA certificate',
    );
    await refused(args({ root: '/nonexistent/root.pem' }), 2, 'cannot read --root /nonexistent/root.pem: ENOENT');
    await refused(['ca', 'show'], 1, 'no device CA yet: run "latchkey ca init"');

    const imported = await cli(args());
    expect(imported.stderr).toBe('');
    expect(imported.stdout).toContain('imported the device CA');
    const shown = (await cli(['ca', 'show'])).stdout;
    expect(shown).toContain(`root          O=Example Corp, CN=Latchkey Device Identification Root CA`);
    expect(shown).toContain(`  sha256      ${await certificateSha256(org.root.certificate)}`);
    expect(shown).toContain(`  sha256      ${await certificateSha256(org.intermediate.certificate)}`);
    expect(shown).toMatch(/root[\s\S]*key {9}not held[\s\S]*intermediate[\s\S]*key {9}held by Latchkey \(sealed\)/);
  });

  it('replaces the CA only with --force', async () => {
    const before = (await cli(['ca', 'show', '--pem'])).stdout;
    await refused(
      ['ca', 'init'],
      1,
      'a device CA already exists: --force replaces it, and every device must then enroll again',
    );
    expect((await cli(['ca', 'show', '--pem'])).stdout).toBe(before);
    const replaced = await cli(['ca', 'init', '--force']);
    expect(replaced.status).toBe(0);
    expect((await cli(['ca', 'show', '--pem'])).stdout).not.toBe(before);
  });

  it('refuses tokens for unknown users and bad lifetimes', async () => {
    await refused(['devices', 'enroll-token', 'nobody'], 1, 'no user named "nobody"');
    await refused(
      ['devices', 'enroll-token', 'alice', '--ttl', '5x'],
      2,
      '--ttl must be a duration such as 30m, 1h or 7d, not "5x"',
    );
    await refused(
      ['devices', 'enroll-token', 'alice', '--ttl', '60d'],
      1,
      'an enrollment token must live between 1 minute and 30 days',
    );
    const created = await cli(['devices', 'enroll-token', 'alice', '--ttl', '2h']);
    expect(created.status).toBe(0);
    expect(created.stdout).toMatch(
      /^enrollment token for alice, single use, valid until .*\nlket_[\w-]{43}\non the device: latchkey-agent enroll --server https:\/\/localhost:8443 --token lket_/,
    );
  });

  it('refuses revocations of what does not exist, and unknown reasons', async () => {
    await refused(['devices', 'revoke', 'no-such-device'], 1, 'no device with id no-such-device');
    await refused(
      ['certs', 'revoke', '0a0b0c', '--reason', 'keyCompromise'],
      1,
      'no device certificate with serial 0a0b0c',
    );
    await refused(['certs', 'revoke', 'zz', '--reason', 'keyCompromise'], 1, 'serial number is not hexadecimal');
    await refused(
      ['certs', 'revoke', '0a0b0c', '--reason', 'lost'],
      1,
      'unknown revocation reason "lost": use one of unspecified, keyCompromise, affiliationChanged, superseded, cessationOfOperation, certificateHold, privilegeWithdrawn',
    );
    const wrongState = await cli(['devices', 'distribution', 'maybe']);
    expect(wrongState.status).toBe(2);
    expect(wrongState.stderr).toMatch(
      /^error: command-argument value 'maybe' is invalid for argument 'state'. Allowed choices are on, off, status./,
    );
  });

  it('audits the CA changes', async () => {
    const audit = await cli(['audit', 'search', '--event', 'admin.ca.import', '--json']);
    expect(JSON.parse(audit.stdout.trim())).toMatchObject({
      event: 'admin.ca.import',
      outcome: 'success',
      actor: 'cli',
    });
  });
});
