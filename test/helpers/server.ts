// Starts a real Latchkey over real TLS on an ephemeral port, with a temporary data directory and the
// backend chosen by the environment, plus helpers to create users and clients the way the CLI does.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Agent, fetch as undiciFetch } from 'undici';
import { createApp, type LatchkeyApp } from '../../src/server/app.js';
import { loadConfig, type LoadedConfig } from '../../src/config/load.js';
import { hashPassword } from '../../src/credentials/passwords.js';
import { newTotpSecret, TOTP_SECRET_PURPOSE } from '../../src/credentials/totp.js';
import { clientMetadataFrom, type ClientAddOptions } from '../../src/admin/clients.js';
import { newFactorClient } from '../../src/admin/factor-clients.js';
import type { FactorSettings } from '../../src/federation/settings.js';
import { createLogger } from '../../src/log.js';
import type { User } from '../../src/store/users.js';
import { prepareBackend, type Backend } from './backend.js';

export interface TestServer {
  app: LatchkeyApp;
  config: LoadedConfig;
  issuer: string;
  port: number;
  /** Port of the device-check (mTLS) listener, and its origin. */
  deviceCheckPort: number;
  deviceCheckUrl: string;
  backend: Backend;
  dataDir: string;
  /** fetch that trusts the server's development certificate. */
  fetch: typeof globalThis.fetch;
  dispatcher: Agent;
  addUser(
    username: string,
    options?: { password?: string; email?: string; totp?: boolean },
  ): Promise<{ user: User; password: string; totpSecret?: string }>;
  /** A relying party; `kind: 'factor'` makes a generic factor client (another IdP) with default settings. */
  addClient(
    options: Partial<ClientAddOptions> & { name?: string },
  ): Promise<{ clientId: string; clientSecret: string | null }>;
  /**
   * A factor client of `idp` exactly as `latchkey clients add-factor` makes it (the same option names),
   * with `settings` replacing what the options set.
   */
  addFactorClient(
    idp: 'okta' | 'entra' | 'generic',
    options: Parameters<typeof newFactorClient>[1],
    settings?: Partial<FactorSettings>,
  ): Promise<{ clientId: string; clientSecret: string | null; settings: FactorSettings }>;
  close(): Promise<void>;
}

export const PASSWORD = 'correct horse battery staple';

export interface StartOptions {
  /**
   * Start a second node of `join`'s cluster: the same database, Redis prefix, data directory (master key,
   * TLS certificate) and issuer, on its own ports. Closing it leaves the shared stores to `join`.
   */
  join?: TestServer;
}

/**
 * Creates and starts a Latchkey on ports the OS reported free. Between that report and listen another test
 * worker can take a port (ERR_PORT_IN_USE): then it tries again on new ports, up to three times.
 */
async function listening(
  overrides: Record<string, unknown>,
  join: TestServer | undefined,
  backend: Backend,
  dataDir: string,
) {
  for (let attempt = 1; ; attempt += 1) {
    const port = await freePort();
    const deviceCheckPort = await freePort();
    const issuer = join?.issuer ?? `https://localhost:${port}`;
    const config = loadConfig({
      env: {},
      overrides: deepMerge(
        {
          issuer,
          data_dir: dataDir,
          // A joining node answers for the first node's issuer (as behind one load balancer) on its own port.
          server: {
            host: '127.0.0.1',
            port,
            shutdown_grace_seconds: 1,
            host_aliases: join ? [`localhost:${port}`] : [],
          },
          device_check: { port: deviceCheckPort },
          database: { url: backend.databaseUrl },
          redis: { url: backend.redisUrl, key_prefix: backend.redisPrefix },
          log: { level: process.env.LATCHKEY_TEST_LOG_LEVEL ?? 'silent' },
          // Test files sign one browser in to one client many times a minute; the loop guard's own tests
          // set the limit they test.
          security: { loop_guard: { max_requests: 1000 } },
        },
        overrides,
      ),
    });
    const log = createLogger(config.log.level);
    const app = await createApp(config, log, {});
    try {
      await app.listen(port, '127.0.0.1');
      return { app, config, issuer, port, deviceCheckPort };
    } catch (error) {
      await app.close();
      if ((error as { code?: string }).code !== 'ERR_PORT_IN_USE' || attempt >= 3) throw error;
    }
  }
}

/** Picks a free port by letting the OS choose, then starts Latchkey with an issuer naming that port. */
export async function startServer(
  overrides: Record<string, unknown> = {},
  options: StartOptions = {},
): Promise<TestServer> {
  const { join } = options;
  const backend = join?.backend ?? (await prepareBackend());
  const dataDir = join?.dataDir ?? mkdtempSync(path.join(tmpdir(), 'latchkey-test-'));
  const { app, config, issuer, port, deviceCheckPort } = await listening(overrides, join, backend, dataDir);
  const dispatcher = new Agent({ connect: { ca: app.tls.cert } });
  const boundFetch = ((input: Parameters<typeof undiciFetch>[0], init?: Parameters<typeof undiciFetch>[1]) =>
    undiciFetch(input, { ...init, dispatcher })) as unknown as typeof globalThis.fetch;
  const s = app.services;
  const addFactorClient: TestServer['addFactorClient'] = async (idp, options, settings = {}) => {
    const made = newFactorClient(idp, options);
    const factor = { ...made.settings, ...settings };
    await s.clients.add({ name: made.name, kind: 'factor', metadata: made.metadata, secret: made.secret, factor });
    return { clientId: made.metadata.client_id, clientSecret: made.secret, settings: factor };
  };
  return {
    app,
    config,
    issuer,
    port,
    deviceCheckPort,
    deviceCheckUrl: `https://localhost:${deviceCheckPort}`,
    backend,
    dataDir,
    fetch: boundFetch,
    dispatcher,
    async addUser(username, options = {}) {
      const password = options.password ?? PASSWORD;
      const user = await s.users.create({
        username,
        email: options.email ?? `${username}@example.com`,
        passwordHash: await hashPassword(password),
      });
      if (!options.totp) return { user, password };
      const totpSecret = newTotpSecret();
      await s.users.setTotp(user.id, s.box.seal(totpSecret, TOTP_SECRET_PURPOSE));
      return { user: (await s.users.findById(user.id))!, password, totpSecret };
    },
    async addClient(options) {
      if (options.kind === 'factor') {
        const { name, redirectUri, clientId, authMethod } = options;
        const added = await addFactorClient('generic', { name, redirectUri, clientId, authMethod });
        return { clientId: added.clientId, clientSecret: added.clientSecret };
      }
      const { metadata, kind, secret } = clientMetadataFrom({
        name: options.name ?? 'Test RP',
        kind: 'first_party',
        idTokenAlg: 'RS256',
        ...options,
      });
      await s.clients.add({ name: options.name ?? 'Test RP', kind, metadata, secret });
      return { clientId: metadata.client_id, clientSecret: secret };
    },
    addFactorClient,
    async close() {
      await dispatcher.close();
      await app.close();
      if (join) return;
      await backend.dispose();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function freePort(): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

function deepMerge(base: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const current = out[key];
    out[key] =
      current && value && typeof current === 'object' && typeof value === 'object' && !Array.isArray(value)
        ? deepMerge(current as Record<string, unknown>, value as Record<string, unknown>)
        : value;
  }
  return out;
}
