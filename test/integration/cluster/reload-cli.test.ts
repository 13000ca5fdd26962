// `latchkey policy reload` publishes through the database and signals no process: a pid file left behind
// by a server that died (its pid now reused by something else) cannot make the CLI send that process
// SIGHUP, and a bad file is refused without publishing anything.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { backendName, prepareBackend, type Backend } from '../../helpers/backend.js';

const BIN = path.resolve('bin/latchkey.js');

describe(`policy reload from the CLI [${backendName()}]`, () => {
  let backend: Backend;
  let dataDir: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    backend = await prepareBackend();
    dataDir = mkdtempSync(path.join(tmpdir(), 'latchkey-reload-'));
    env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      LATCHKEY_DATA_DIR: dataDir,
      ...(backend.databaseUrl ? { LATCHKEY_DATABASE_URL: backend.databaseUrl } : {}),
    };
  });
  afterAll(async () => {
    await backend?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const cli = (args: string[], extra: NodeJS.ProcessEnv = {}) =>
    spawnSync(process.execPath, [BIN, ...args], { env: { ...env, ...extra }, encoding: 'utf8', timeout: 60_000 });

  it('signals no process named by a stale pid file', async () => {
    // Another program now holds the pid a dead server left in the data directory.
    const bystander = spawn('sleep', ['60'], { stdio: 'ignore' });
    writeFileSync(path.join(dataDir, 'latchkey.pid'), `${bystander.pid}\n`);
    const file = path.join(dataDir, 'policies.yaml');
    writeFileSync(file, 'default: allow\npolicies: []\n');
    try {
      const result = cli(['policy', 'reload'], { LATCHKEY_POLICIES: file });
      expect(result.status).toBe(0);
      expect(result.stdout).toContain('0 policies, published as version 1');
      expect(result.stdout).toContain('no running node is registered: nodes apply it when they start');
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(bystander.exitCode).toBeNull();
      expect(bystander.signalCode).toBeNull();
    } finally {
      bystander.kill('SIGKILL');
    }
  });

  it('refuses a bad file, publishes nothing and says every node keeps its set', () => {
    const file = path.join(dataDir, 'bad.yaml');
    writeFileSync(file, 'default: maybe\n');
    const result = cli(['policy', 'reload'], { LATCHKEY_POLICIES: file });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/not published: 2 problems in .*bad\.yaml/);
    expect(result.stderr).toContain('every node keeps the set in force');
    const again = cli(['policy', 'reload'], { LATCHKEY_POLICIES: path.join(dataDir, 'policies.yaml') });
    expect(again.stdout).toContain('already in force as version 1');
  });

  it('does not replace a published file with the built-in set when run where no policy file is configured', () => {
    // An operator's shell in another directory, without LATCHKEY_POLICIES: no file resolves.
    const elsewhere = mkdtempSync(path.join(tmpdir(), 'latchkey-cwd-'));
    try {
      const run = (args: string[]) =>
        spawnSync(process.execPath, [BIN, ...args], { cwd: elsewhere, env, encoding: 'utf8', timeout: 60_000 });
      const refused = run(['policy', 'reload']);
      expect(refused.status).toBe(1);
      expect(refused.stderr).toContain('no policy file is configured here');
      expect(refused.stderr).toMatch(/every node runs version 1 from .*policies\.yaml/);
      expect(refused.stderr).toContain('every node keeps the set in force');
      const kept = cli(['policy', 'reload'], { LATCHKEY_POLICIES: path.join(dataDir, 'policies.yaml') });
      expect(kept.stdout).toContain('already in force as version 1');
      // On purpose, it may.
      const builtIn = run(['policy', 'reload', '--built-in']);
      expect(builtIn.stdout).toContain('(built-in policies)');
      expect(builtIn.stdout).toContain('published as version 2');
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });
});
