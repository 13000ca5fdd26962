// `npm start` as a new user runs it: the real server process on a fresh data directory generates its
// development TLS certificate, master key and signing keys, says where it is, serves discovery, and
// shuts down cleanly on SIGTERM. A bad setting stops it with a message naming the setting.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import knexFactory from 'knex';
import { Agent, fetch } from 'undici';
import { x509 } from '../../../src/trust/x509.js';

/** Runs the server to its exit (it is expected to refuse to start). */
function run(env: NodeJS.ProcessEnv): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/latchkey-server.js'], {
      env: { PATH: process.env.PATH, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
    child.on('exit', (status) => {
      clearTimeout(timer);
      resolve({ status, stderr });
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

describe('the server process', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'latchkey-start-'));
  const registeredPids = async () => {
    const db = knexFactory({
      client: 'better-sqlite3',
      connection: { filename: path.join(dataDir, 'latchkey.sqlite') },
      useNullAsDefault: true,
    });
    try {
      return (await db('cluster_nodes').select<{ pid: number }[]>('pid')).map((row) => Number(row.pid));
    } finally {
      await db.destroy();
    }
  };
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('starts on a fresh data directory, serves discovery over its dev certificate, and stops on SIGTERM', async () => {
    const port = await freePort();
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      LATCHKEY_DATA_DIR: dataDir,
      LATCHKEY_PORT: String(port),
      LATCHKEY_HOST: '127.0.0.1',
      LATCHKEY_DEVICE_CHECK_PORT: String(await freePort()),
      LATCHKEY_LOG_LEVEL: 'warn',
    };
    const child = spawn(process.execPath, ['bin/latchkey-server.js'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 45_000;
      while (!stdout.includes('Latchkey is running') && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 200));
      expect(stdout).toContain(`discovery:  https://localhost:${port}/.well-known/openid-configuration`);
      expect(stdout).toContain('npx latchkey users add');

      const certPem = readFileSync(path.join(dataDir, 'dev-tls', 'cert.pem'), 'utf8');
      expect(new x509.X509Certificate(certPem).subject).toContain('DEVELOPMENT');
      expect(existsSync(path.join(dataDir, 'master.key'))).toBe(true);
      expect(existsSync(path.join(dataDir, 'latchkey.sqlite'))).toBe(true);

      const dispatcher = new Agent({ connect: { ca: certPem } });
      const discovery = await fetch(`https://localhost:${port}/.well-known/openid-configuration`, { dispatcher });
      expect(((await discovery.json()) as { issuer: string }).issuer).toBe(`https://localhost:${port}`);
      const jwks = (await (await fetch(`https://localhost:${port}/jwks`, { dispatcher })).json()) as {
        keys: unknown[];
      };
      expect(jwks.keys).toHaveLength(2);
      await dispatcher.close();
      // The node registers itself in the cluster table, which `latchkey policy reload` reports from.
      expect(await registeredPids()).toEqual([child.pid]);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(await registeredPids()).toEqual([]);
  });

  it('refuses a port in use in one line naming the setting and the variable, not a stack', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', () => resolve()));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      const result = await run({
        LATCHKEY_DATA_DIR: dataDir,
        LATCHKEY_HOST: '127.0.0.1',
        LATCHKEY_PORT: String(port),
        LATCHKEY_DEVICE_CHECK_PORT: String(await freePort()),
        LATCHKEY_LOG_LEVEL: 'silent',
      });
      expect(
        result.stderr
          .trim()
          .split('\n')
          .filter((line) => !line.startsWith('oidc-provider WARNING')),
      ).toEqual([
        `latchkey: port ${port} on 127.0.0.1 (server.port) is already in use by another process: stop it, or ` +
          'give the main listener another port with server.port or LATCHKEY_PORT',
      ]);
      expect(result.status).toBe(1);
    } finally {
      taken.close();
    }
  });

  it('does not claim to be running when the policy file did not load: it says what is wrong and how to fix it', async () => {
    const policies = path.join(dataDir, 'broken-policies.yaml');
    writeFileSync(policies, 'default:\n  first_party: allow\npolicies:\n  - name: [a\n');
    const port = await freePort();
    const child = spawn(process.execPath, ['bin/latchkey-server.js'], {
      env: {
        PATH: process.env.PATH,
        LATCHKEY_DATA_DIR: dataDir,
        LATCHKEY_HOST: '127.0.0.1',
        LATCHKEY_PORT: String(port),
        LATCHKEY_DEVICE_CHECK_PORT: String(await freePort()),
        LATCHKEY_POLICIES: policies,
        LATCHKEY_LOG_LEVEL: 'silent',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 45_000;
      while (!stdout.includes('policy reload') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      expect(stdout).not.toContain('Latchkey is running');
      expect(stdout).not.toContain('Next steps');
      expect(stdout).toContain(`Latchkey is listening at https://localhost:${port} but is NOT READY`);
      expect(stdout).toContain(`${policies} has 1 problem:`);
      expect(stdout).toContain(`${policies}:5:1: YAML syntax:`);
      expect(stdout).toContain('npx latchkey policy check');
      const dispatcher = new Agent({ connect: { rejectUnauthorized: false } });
      const ready = await fetch(`https://127.0.0.1:${port}/readyz`, { dispatcher });
      expect(ready.status).toBe(503);
      await dispatcher.close();

      // Fixed and reloaded (SIGHUP, as `latchkey policy reload` sends): it says it is ready now.
      writeFileSync(policies, 'default:\n  first_party: allow\npolicies: []\n');
      child.kill('SIGHUP');
      const until = Date.now() + 20_000;
      while (!stdout.includes('Latchkey is ready') && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      expect(stdout).toContain(`Latchkey is ready: policies loaded from ${policies}.`);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });

  it('refuses to start with a bad setting and names it', () => {
    const result = spawnSync(process.execPath, ['bin/latchkey-server.js'], {
      env: { PATH: process.env.PATH, LATCHKEY_DATA_DIR: dataDir, LATCHKEY_ISSUER: 'http://idp.example.com' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('LATCHKEY_ISSUER = "http://idp.example.com" (issuer): must be an https URL');
    // The configuration is checked before oidc-provider is imported: no runtime warning before the reason.
    expect(result.stderr).not.toContain('oidc-provider');
  });
});
