// The `latchkey` admin CLI as an operator runs it: a real process, the same configuration as the
// server, a one-line reason and a non-zero exit on error, and nothing changed by a refused command.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { backendName, prepareBackend, type Backend } from '../../helpers/backend.js';

const BIN = path.resolve('bin/latchkey.js');

describe(`latchkey CLI [${backendName()}]`, () => {
  let backend: Backend;
  let env: NodeJS.ProcessEnv;
  let dataDir: string;

  function cli(args: string[], input?: string, extraEnv: NodeJS.ProcessEnv = {}) {
    const result = spawnSync(process.execPath, [BIN, ...args], {
      env: { ...env, ...extraEnv },
      input,
      encoding: 'utf8',
      timeout: 60_000,
    });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  beforeAll(async () => {
    backend = await prepareBackend();
    dataDir = mkdtempSync(path.join(tmpdir(), 'latchkey-cli-'));
    env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      LATCHKEY_DATA_DIR: dataDir,
      ...(backend.databaseUrl ? { LATCHKEY_DATABASE_URL: backend.databaseUrl } : {}),
      ...(backend.redisUrl ? { LATCHKEY_REDIS_URL: backend.redisUrl } : {}),
    };
  });
  afterAll(async () => {
    await backend?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('creates a user from a piped password and refuses a duplicate without changing anything', () => {
    const created = cli(
      ['users', 'add', 'Alice', '--email', 'alice@example.com', '--password-stdin'],
      'correct horse battery staple\n',
    );
    expect(created.stderr).toBe('');
    expect(created.status).toBe(0);
    expect(created.stdout).toMatch(/^created user alice \(/);
    const duplicate = cli(['users', 'add', 'alice', '--password-stdin'], 'another long password\n');
    expect(duplicate.status).toBe(1);
    expect(duplicate.stderr).toBe('latchkey: a user named "alice" already exists\n');
    const list = cli(['users', 'list']);
    expect(list.stdout.split('\n').filter((line) => line.startsWith('alice'))).toHaveLength(1);
  });

  it("refuses a username that is another user's email, and an email that is another user's username", () => {
    const clash = cli(['users', 'add', 'alice@example.com', '--password-stdin'], 'correct horse battery staple\n');
    expect(clash.status).toBe(1);
    expect(clash.stderr).toBe('latchkey: another user already has the email alice@example.com\n');
    expect(cli(['users', 'add', 'eve@example.org', '--password-stdin'], 'correct horse battery staple\n').status).toBe(
      0,
    );
    const reverse = cli(
      ['users', 'add', 'frank', '--email', 'EVE@example.org', '--password-stdin'],
      'correct horse battery staple\n',
    );
    expect(reverse.status).toBe(1);
    expect(reverse.stderr).toBe('latchkey: another user already has eve@example.org as email or username\n');
  });

  it('refuses a short password with the rule it broke', () => {
    const result = cli(['users', 'add', 'bob', '--password-stdin'], 'short\n');
    expect(result.status).toBe(1);
    expect(result.stderr).toBe('latchkey: passwords must have at least 12 characters\n');
    expect(cli(['users', 'show', 'bob']).stderr).toBe('latchkey: no user named "bob"\n');
  });

  it('registers a client, printing the secret once, and validates metadata with oidc-provider', () => {
    const added = cli(['clients', 'add', '--name', 'Portal', '--redirect-uri', 'https://portal.example/cb', '--json']);
    // oidc-provider is loaded for the validation; its "Unsupported runtime" warning (Node 20) is not output.
    expect(added.stderr).toBe('');
    expect(added.status).toBe(0);
    const { client_id, client_secret } = JSON.parse(added.stdout) as { client_id: string; client_secret: string };
    expect(client_secret.length).toBeGreaterThanOrEqual(43);
    const shown = cli(['clients', 'show', client_id]);
    expect({ status: shown.status, stderr: shown.stderr }).toEqual({ status: 0, stderr: '' });
    expect(shown.stdout).toContain('https://portal.example/cb');
    expect(shown.stdout).not.toContain(client_secret);

    const bad = cli(['clients', 'add', '--name', 'Bad', '--redirect-uri', 'javascript:alert(1)']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^latchkey: invalid client: redirect_uris/);
    const kind = cli([
      'clients',
      'add',
      '--name',
      'Bad',
      '--redirect-uri',
      'https://x.example/cb',
      '--kind',
      'friendly',
    ]);
    expect(kind.status).toBe(2);
    expect(kind.stderr).toContain('--kind must be one of first_party, third_party, not "friendly"');
    expect(cli(['clients', 'list']).stdout).not.toContain('Bad');
  });

  it('registers an admin API client with its scopes, rotates its secret, and refuses unknown scopes', () => {
    const added = cli(['clients', 'add-admin', '--name', 'terraform', '--scope', 'latchkey.users.read', '--json']);
    expect({ status: added.status, stderr: added.stderr }).toEqual({ status: 0, stderr: '' });
    const { client_id, client_secret } = JSON.parse(added.stdout) as { client_id: string; client_secret: string };
    const shown = JSON.parse(cli(['clients', 'show', client_id]).stdout) as Record<string, unknown>;
    expect(shown).toMatchObject({ kind: 'admin', scope: 'latchkey.users.read', grant_types: ['client_credentials'] });
    const rotated = cli(['clients', 'rotate-secret', client_id]);
    expect(rotated.status).toBe(0);
    expect(rotated.stdout).toMatch(/client_secret: [A-Za-z0-9_-]{43}/);
    expect(rotated.stdout).not.toContain(client_secret);
    const unknown = cli(['clients', 'add-admin', '--name', 'x', '--scope', 'latchkey.everything']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('unknown scope latchkey.everything');
    expect(cli(['clients', 'remove', 'latchkey-account']).stderr).toContain("is Latchkey's own client");
  });

  it('rotates signing keys in stages and refuses to retire a key that signs', () => {
    const rotated = cli(['keys', 'rotate']);
    expect(rotated.status).toBe(0);
    expect(rotated.stdout).toMatch(/they sign from \S+ \(in 60 s\)/);
    const [, ...rows] = cli(['keys', 'list']).stdout.split('\n\n')[0]!.trim().split('\n');
    const state = (row: string) => row.split(/\s+/)[2];
    expect(rows.map(state)).toEqual(['pending', 'pending', 'signing', 'signing']);
    const signing = rows[2]!.split(/\s+/)[0]!;
    const refused = cli(['keys', 'retire', signing]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/signs (RS|ES)256 tokens now: rotate first/);
    // A pending key can be withdrawn before it ever signs.
    const pending = rows[0]!.split(/\s+/)[0]!;
    expect(cli(['keys', 'retire', pending]).status).toBe(0);
  });

  it('checks configuration like start-up does and exits 2 naming the variable to change', () => {
    expect(cli(['config', 'check']).stdout).toContain('configuration OK');
    const bad = cli(['config', 'check'], undefined, { LATCHKEY_PORT: 'eighty' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe(
      'latchkey: invalid configuration:\n  - LATCHKEY_PORT = "eighty" (server.port): must be a port number from 1 to 65535\n',
    );
  });

  it.each([
    [{ LATCHKEY_DEVICE_CHECK_PORT: '8443' }, 'device_check.port = 8443 is the same port as server.port'],
    [{ LATCHKEY_MASTER_KEY: 'too-short' }, 'LATCHKEY_MASTER_KEY is too short (9 characters)'],
    [
      { LATCHKEY_REDIS_ULR: 'redis://x' },
      'unknown environment variable LATCHKEY_REDIS_ULR (did you mean LATCHKEY_REDIS_URL?)',
    ],
    [{ LATCHKEY_POLICIES: '/nonexistent/policies.yaml' }, '/nonexistent/policies.yaml: policy file not found'],
  ])('config check refuses %j as start-up would', (extraEnv, message) => {
    const result = cli(['config', 'check'], undefined, extraEnv);
    expect(result.stderr).toContain(message);
    expect(result.stderr).not.toContain(':0:0');
    expect(result.status).toBe(2);
  });

  it('config check names an unreadable TLS file and a bad policy file without a cascade', () => {
    const config = path.join(dataDir, 'tls.yaml');
    writeFileSync(config, 'server:\n  tls: { cert_file: /nonexistent/cert.pem, key_file: /nonexistent/key.pem }\n');
    const policies = path.join(dataDir, 'cascade.yaml');
    writeFileSync(policies, 'policies:\n  - name: [a\n    outcome: "x\n  - foo: : :\n');
    const result = cli(['config', 'check'], undefined, { LATCHKEY_CONFIG: config, LATCHKEY_POLICIES: policies });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('server.tls.cert_file = "/nonexistent/cert.pem": not found');
    expect(result.stderr).toContain(
      `the policy file ${policies} has 1 problem (the server would start but refuse every sign-in):`,
    );
    expect(result.stderr.match(/YAML syntax/g)).toHaveLength(1);
  });

  it('policy check says a missing file is not found, in one problem', () => {
    const result = cli(['policy', 'check', '/nonexistent/policies.yaml']);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(
      '/nonexistent/policies.yaml: policy file not found: create it (start from config/policies.example.yaml) or ' +
        'set policies.file or LATCHKEY_POLICIES to an existing file\n' +
        'latchkey: 1 problem in /nonexistent/policies.yaml\n',
    );
  });

  it('names a missing config file as not found', () => {
    const result = cli(['config', 'check'], undefined, { LATCHKEY_CONFIG: '/nonexistent/latchkey.yaml' });
    expect(result.stderr).toBe('latchkey: config file /nonexistent/latchkey.yaml (LATCHKEY_CONFIG) not found\n');
    expect(result.status).toBe(2);
  });

  it('exits 2 on an unknown command and shows the audit trail of what it did', () => {
    expect(cli(['users', 'frobnicate']).status).toBe(2);
    const audit = cli(['audit', 'search', '--event', 'admin.user.add', '--json']);
    const events = audit.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { username: string; outcome: string });
    expect(events.map((e) => [e.username, e.outcome]).sort()).toEqual([
      ['alice', 'success'],
      ['eve@example.org', 'success'],
    ]);
  });
});
