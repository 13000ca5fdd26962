// Where one system under test keeps its state and how it is configured: its own data directory, its own
// PostgreSQL schema and Redis key prefix (test/helpers/backend.ts, so the bench and the integration tests
// choose backends alike), ports, and the LATCHKEY_* environment the server process and the bench's own
// seeding both read. BENCH_BACKEND=sqlite|postgresql|postgresql+redis sets the test variables.
import { randomBytes } from 'node:crypto';
import { writeFileSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { stringify } from 'yaml';
import { backendName, prepareBackend, type Backend } from '../../test/helpers/backend.js';
import { loadConfig, type LoadedConfig } from '../../src/config/load.js';

export const TEST_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';
export const TEST_REDIS_URL = 'redis://127.0.0.1:6379';

/** Maps BENCH_BACKEND onto the test variables; returns the backend's name, or throws on a bad value. */
export function selectBackend(env: NodeJS.ProcessEnv = process.env): string {
  const wanted = env.BENCH_BACKEND;
  if (wanted === undefined || wanted === '') return backendName();
  if (!['sqlite', 'postgresql', 'postgresql+redis'].includes(wanted))
    throw new Error(`BENCH_BACKEND must be sqlite, postgresql or postgresql+redis, not "${wanted}"`);
  delete env.LATCHKEY_TEST_DATABASE_URL;
  delete env.LATCHKEY_TEST_REDIS_URL;
  if (wanted !== 'sqlite') env.LATCHKEY_TEST_DATABASE_URL ||= TEST_DATABASE_URL;
  if (wanted === 'postgresql+redis') env.LATCHKEY_TEST_REDIS_URL ||= TEST_REDIS_URL;
  return backendName();
}

export interface Deployment {
  name: string;
  dataDir: string;
  port: number;
  deviceCheckPort: number;
  issuer: string;
  deviceCheckUrl: string;
  backend: Backend;
  logFile: string;
  policyFile: string;
  /** What the server process is started with (and the bench's seeding reads). */
  env: Record<string, string>;
  /** The configuration as the server will load it. */
  config(): LoadedConfig;
}

/**
 * Settings that keep limits meant for attackers out of a throughput measurement (every request comes
 * from 127.0.0.1 and one browser signs in to one client many times), and renewals due at once (the
 * window is a policy decision, not a cost). Everything else is config/default.yaml.
 */
function benchSettings(redisPrefix: string): Record<string, unknown> {
  const unlimited = { max: 100_000_000, window_seconds: 60 };
  return {
    server: { shutdown_grace_seconds: 1 },
    redis: { key_prefix: redisPrefix },
    security: {
      // The schema's largest guard (1,000 requests) over its shortest window: no bench browser gets near it.
      loop_guard: { max_requests: 1000, window_seconds: 1 },
      rate_limits: { login_per_user: unlimited, login_per_ip: unlimited, second_factor_per_user: unlimited },
    },
    device_trust: {
      renewal_fraction: '1/100000',
      rate_limits: { enroll_per_ip: unlimited, renew_per_ip: unlimited },
    },
    // The profile scep-enroll uses (BENCH_SCEP_PROFILE); the baselines ignore it.
    scep: { profiles: { bench: { platform: 'ios' } }, rate_limits: { pki_operation_per_ip: unlimited } },
  };
}

/** Creates the directory, schema, ports and configuration file of deployment `name` under `runDir`. */
export async function prepareDeployment(name: string, runDir: string): Promise<Deployment> {
  const dataDir = path.join(runDir, name);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  // A prefix of the bench's own, so that its keys in the shared Redis are told apart from the tests'.
  const backend = {
    ...(await prepareBackend()),
    redisPrefix: `latchkey-bench-${randomBytes(6).toString('hex')}-${name}:`,
  };
  const port = await freePort();
  const deviceCheckPort = await freePort();
  const issuer = `https://localhost:${port}`;
  const configFile = path.join(dataDir, 'bench.yaml');
  writeFileSync(configFile, stringify(benchSettings(backend.redisPrefix)));
  const policyFile = path.join(dataDir, 'policies.yaml');
  writeFileSync(policyFile, 'default: allow\npolicies: []\n');
  const env: Record<string, string> = {
    LATCHKEY_CONFIG: configFile,
    LATCHKEY_DATA_DIR: dataDir,
    LATCHKEY_ISSUER: issuer,
    LATCHKEY_HOST: '127.0.0.1',
    LATCHKEY_PORT: String(port),
    LATCHKEY_DEVICE_CHECK_PORT: String(deviceCheckPort),
    LATCHKEY_LOG_LEVEL: 'info',
    LATCHKEY_POLICIES: policyFile,
    ...(backend.databaseUrl ? { LATCHKEY_DATABASE_URL: backend.databaseUrl } : {}),
    ...(backend.redisUrl ? { LATCHKEY_REDIS_URL: backend.redisUrl } : {}),
  };
  return {
    name,
    dataDir,
    port,
    deviceCheckPort,
    issuer,
    deviceCheckUrl: `https://localhost:${deviceCheckPort}`,
    backend,
    logFile: path.join(runDir, `${name}.log`),
    policyFile,
    env,
    config: () => loadConfig({ env }),
  };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}
