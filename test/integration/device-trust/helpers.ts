// What the device-trust integration tests share: the admin CLI and the agent as real processes against a
// running Latchkey, mutual-TLS requests with a device certificate, and counts of the device-trust tables
// (to prove that a refused request changed nothing).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Agent, fetch as undiciFetch } from 'undici';
import { DeviceTrustStore } from '../../../src/store/device-trust.js';
import { signerFromPrivateKeyPem } from '../../../src/trust/ca/import.js';
import { parseCertificate } from '../../../src/trust/certificate-input.js';
import { joinPem } from '../../../src/trust/pem.js';
import { CA_KEY_PURPOSE } from '../../../src/trust/service/active-ca.js';
import { newDeviceKey } from '../../../src/agent/keys.js';
import type { Database } from '../../../src/store/database.js';
import { HttpUser } from '../../helpers/http-user.js';
import type { TestServer } from '../../helpers/server.js';

const LATCHKEY_BIN = path.resolve('bin/latchkey.js');
const AGENT_BIN = path.resolve('bin/latchkey-agent.js');

export interface ProcessResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs `node bin` asynchronously (the server lives in this process and must keep answering). */
function run(
  bin: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  input?: string,
  cwd?: string,
): Promise<ProcessResult> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [bin, ...args],
      { env, encoding: 'utf8', timeout: 60_000, cwd },
      (error, stdout, stderr) => {
        const status = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ status, stdout, stderr });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

/**
 * The admin CLI `latchkey` on the same database, data directory (master key) and issuer as `server`;
 * `extra` adds environment variables (e.g. LATCHKEY_CONFIG for configuration the test server got as
 * overrides), `cwd` sets where it runs (config/policies.yaml is looked up there).
 */
export function adminCli(
  server: TestServer,
  extra: NodeJS.ProcessEnv = {},
  cwd?: string,
): (args: readonly string[]) => Promise<ProcessResult> {
  const env: NodeJS.ProcessEnv = {
    ...extra,
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LATCHKEY_DATA_DIR: server.dataDir,
    LATCHKEY_ISSUER: server.issuer,
    LATCHKEY_PORT: String(server.port),
    LATCHKEY_DEVICE_CHECK_PORT: String(server.deviceCheckPort),
    LATCHKEY_LOG_LEVEL: 'error',
    ...(server.backend.databaseUrl ? { LATCHKEY_DATABASE_URL: server.backend.databaseUrl } : {}),
  };
  return (args) => run(LATCHKEY_BIN, args, env, undefined, cwd);
}

export interface AgentHome {
  /** Temporary HOME of the device user. */
  home: string;
  stateDir: string;
  nssDir: string;
  policyDir: string;
  /** Stands in for /etc/firefox/policies, so a test never changes the machine's Firefox. */
  firefoxPolicyDir: string;
  /** Runs `latchkey-agent` with this home's state, NSS and policy directories. */
  run(args: readonly string[], input?: string): Promise<ProcessResult>;
  dispose(): void;
}

/** A device user's home in a temp dir, with the agent pointed at it. */
export function agentHome(): AgentHome {
  const home = mkdtempSync(path.join(tmpdir(), 'latchkey-agent-it-'));
  const stateDir = path.join(home, '.local', 'state', 'latchkey-agent');
  const nssDir = path.join(home, '.pki', 'nssdb');
  const policyDir = path.join(home, 'policies', 'managed');
  const firefoxPolicyDir = path.join(home, 'firefox-policies');
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home };
  const globals = [
    ...['--state-dir', stateDir, '--nss-dir', nssDir],
    ...['--policy-dir', policyDir, '--firefox-policy-dir', firefoxPolicyDir],
  ];
  return {
    home,
    stateDir,
    nssDir,
    policyDir,
    firefoxPolicyDir,
    run: (args, input) => run(AGENT_BIN, [...globals, ...args], env, input),
    dispose: () => rmSync(home, { recursive: true, force: true }),
  };
}

/** `latchkey-agent enroll` against `server`, trusting its development TLS certificate. */
export function enrollArgs(server: TestServer, token: string): string[] {
  return ['enroll', '--server', server.issuer, '--token', token, '--ca-file', server.app.tls.devCertFile!];
}

/** A fetch presenting a client certificate (leaf + chain) over mutual TLS, trusting the server's certificate. */
export function mutualTlsFetch(
  server: TestServer,
  client: { certificatePem: string; chainPem?: readonly string[]; privateKeyPem: string } | null,
): { fetch: typeof globalThis.fetch; close(): Promise<void> } {
  const agent = new Agent({
    connect: {
      ca: server.app.tls.cert,
      ...(client
        ? { cert: joinPem([client.certificatePem, ...(client.chainPem ?? [])]), key: client.privateKeyPem }
        : {}),
    },
  });
  const bound = ((input: Parameters<typeof undiciFetch>[0], init?: Parameters<typeof undiciFetch>[1]) =>
    undiciFetch(input, { ...init, dispatcher: agent })) as unknown as typeof globalThis.fetch;
  return { fetch: bound, close: () => agent.close() };
}

/**
 * Browsers on devices: each is an HttpUser whose requests to the device-check listener present that
 * device's certificate over mutual TLS (or none, for a browser on no enrolled device). Close them all at
 * the end of the file.
 */
export function deviceBrowsers(server: TestServer): {
  on(credentials: Pick<DeviceCredentials, 'certificatePem' | 'chainPem' | 'privateKeyPem'> | null): HttpUser;
  close(): Promise<void>;
} {
  const agents: Array<{ close(): Promise<void> }> = [];
  return {
    on(credentials) {
      const tls = mutualTlsFetch(server, credentials);
      agents.push(tls);
      return new HttpUser(server.fetch, server.issuer).onDevice(tls.fetch);
    },
    async close() {
      await Promise.all(agents.map((agent) => agent.close()));
    },
  };
}

export interface TableCounts {
  devices: number;
  certificates: number;
  revokedCertificates: number;
  tokensUsed: number;
  tokens: number;
}

/** The number of rows of `table` (those `where` selects). */
export async function countRows(
  db: Database,
  table: string,
  where?: (query: ReturnType<Database>) => void,
): Promise<number> {
  const query = db(table);
  where?.(query);
  const row = (await query.count({ n: '*' }).first()) as { n: number | string };
  return Number(row.n);
}

/** Row counts of the device-trust tables. */
export async function tableCounts(db: Database): Promise<TableCounts> {
  const count = (table: string, where?: (query: ReturnType<Database>) => void) => countRows(db, table, where);
  return {
    devices: await count('devices'),
    certificates: await count('device_certificates'),
    revokedCertificates: await count('device_certificates', (q) => void q.whereNotNull('revoked_at')),
    tokensUsed: await count('enrollment_tokens', (q) => void q.whereNotNull('used_at')),
    tokens: await count('enrollment_tokens'),
  };
}

/** POST a JSON body (or raw text) to /device/enroll on the main listener. */
export async function postEnroll(
  server: TestServer,
  body: unknown,
  headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' },
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await server.fetch(`${server.issuer}/device/enroll`, {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** A device's certificate, chain and key, as the agent holds them. */
export interface DeviceCredentials {
  deviceId: string;
  serial: string;
  certificatePem: string;
  chainPem: string[];
  privateKeyPem: string;
}

/** Enrolls a device for `username` through POST /device/enroll with a fresh P-256 key held here. */
export async function enrolledDevice(
  server: TestServer,
  username: string,
  posture: Record<string, string> = { platform: 'linux', osVersion: '12', integrity: 'secure-boot-on' },
): Promise<DeviceCredentials> {
  // The key and CSR as the agent makes them (P-256), so this helper also serves the benchmarks.
  const key = await newDeviceKey('test-device');
  const { token } = await server.app.services.deviceTrust.createEnrollmentToken(username, { actor: 'test' });
  const issued = await postEnroll(server, { token, csr: key.csrPem, posture });
  if (issued.status !== 201) throw new Error(`enrollment failed: ${JSON.stringify(issued.body)}`);
  return {
    deviceId: issued.body.deviceId as string,
    serial: parseCertificate(issued.body.certificate as string).serialNumber.toLowerCase(),
    certificatePem: issued.body.certificate as string,
    chainPem: issued.body.chain as string[],
    privateKeyPem: key.privateKeyPem,
  };
}

/** The server's own CA (root and active intermediate with their signers), to craft certificates in tests. */
export async function serverCa(server: TestServer) {
  const store = new DeviceTrustStore(server.app.services.db);
  const load = async (role: 'root' | 'intermediate') => {
    const record = (await store.activeCa(role))!;
    const certificate = parseCertificate(record.certificatePem);
    const keyPem = server.app.services.box.openText(record.privateKeySealed!, CA_KEY_PURPOSE[role]);
    return { id: record.id, certificate, signer: await signerFromPrivateKeyPem(keyPem, certificate) };
  };
  return { root: await load('root'), intermediate: await load('intermediate') };
}
