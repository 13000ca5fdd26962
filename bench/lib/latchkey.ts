// Latchkey as a benchmark target: seeded the way an admin sets it up (users, clients, device CA, tokens;
// through the same repositories the `latchkey` CLI uses, in this process, before the server starts),
// then the production entry point (bin/latchkey-server.js, the compiled build in dist/) in a process
// of its own.
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import { hashPassword } from '../../src/credentials/passwords.js';
import { newTotpSecret, TOTP_SECRET_PURPOSE } from '../../src/credentials/totp.js';
import { clientMetadataFrom } from '../../src/admin/clients.js';
import { newFactorClient } from '../../src/admin/factor-clients.js';
import { createLogger } from '../../src/log.js';
import { openServices, type Services } from '../../src/server/services.js';
import { loadTlsMaterial } from '../../src/server/tls.js';
import { PACKAGE_ROOT } from '../../src/config/load.js';
import { expectCallback } from '../../test/helpers/http-user.js';
import { REDIRECT_URI } from '../../test/helpers/rp.js';
import type { Deployment } from './deployment.js';
import { startServerProcess } from './server-process.js';
import { browserOf, fetchTrusting, type ClientCredentials, type Target } from './target.js';

export const BENCH_USERNAME = 'bench';
export const BENCH_PASSWORD = 'correct horse battery staple';
export const PASSKEY_USERNAME = 'bench-passkey';
export const OKTA_DOMAIN = 'bench.okta.com';
/** The SCEP profile the scep-enroll scenario enrolls through (bench/lib/deployment.ts configures it). */
export const BENCH_SCEP_PROFILE = 'bench';

/** Fixed client ids, so that the policy file can name them. */
export const CLIENT_IDS = {
  code: 'bench-rp',
  service: 'bench-service',
  device: 'bench-device-rp',
  mfa: 'bench-mfa-rp',
} as const;

/**
 * The policies in force: the device RP lets trusted and managed devices sign in by their certificate
 * alone and refuses everything else; the MFA RP asks for password and TOTP; every other first-party
 * client signs in with a password (or a passkey) as by default; factor clients need a proven device.
 */
const POLICIES = `default: allow
policies:
  - name: device-rp-devices-sign-in
    state: enabled
    targets: { clients: [${CLIENT_IDS.device}] }
    conditions: { device: [trusted, managed] }
    outcome: allow
    sign_in_with: [device_certificate]
  - name: device-rp-managed-only
    state: enabled
    targets: { clients: [${CLIENT_IDS.device}] }
    conditions: { device: [unmanaged] }
    outcome: deny
  - name: mfa-rp-password-and-totp
    state: enabled
    targets: { clients: [${CLIENT_IDS.mfa}] }
    outcome: allow
    require: { all_of: [password, totp] }
`;

export interface LatchkeyTarget extends Target {
  name: 'latchkey';
  deployment: Deployment;
  deviceCheckUrl: string;
  deviceClient: ClientCredentials;
  mfaClient: ClientCredentials;
  factorClient: ClientCredentials;
  /** Users with password and TOTP, each usable once per 30-second TOTP step. */
  totpUsers: Array<{ username: string; totpSecret: string }>;
  passkeyUser: { username: string; totpSecret: string };
  /** Unused single-use enrollment tokens of the bench user. */
  enrollmentTokens: string[];
  /** Opens the stores as the CLI does (for seeding while the server runs); close them after use. */
  openServices(): Promise<Services>;
}

export interface LatchkeySeed {
  totpUsers: number;
  enrollmentTokens: number;
}

/** Seeds `deployment` and starts Latchkey on it. */
export async function startLatchkey(deployment: Deployment, seed: LatchkeySeed): Promise<LatchkeyTarget> {
  const config = deployment.config();
  // The development certificate Latchkey would generate on first start, made now so every process of
  // the run serves (and the load generator trusts) the same one.
  const tls = await loadTlsMaterial(config.server.tls, config.dataDirAbsolute);
  const open = () => openServices(config, createLogger('warn'), deployment.env);
  const services = await open();
  let seeded: Awaited<ReturnType<typeof seedLatchkey>>;
  try {
    seeded = await seedLatchkey(services, seed);
  } finally {
    await services.close();
  }
  writeFileSync(deployment.policyFile, POLICIES);
  const server = await startServerProcess({
    name: 'latchkey',
    // BENCH_CPU_PROF=1: V8 CPU profiles of the server, written when it exits, for flame graphs.
    args: [
      ...(process.env.BENCH_CPU_PROF
        ? ['--cpu-prof', `--cpu-prof-dir=${path.join(deployment.dataDir, '..', 'profiles')}`]
        : []),
      path.join(PACKAGE_ROOT, 'bin', 'latchkey-server.js'),
    ],
    env: deployment.env,
    logFile: deployment.logFile,
    readyUrl: `${deployment.issuer}/readyz`,
    ca: tls.cert,
  });
  const { fetch, agent } = fetchTrusting(tls.cert);
  return {
    name: 'latchkey',
    deployment,
    issuer: deployment.issuer,
    deviceCheckUrl: deployment.deviceCheckUrl,
    ca: tls.cert,
    fetch,
    process: server,
    ...seeded,
    openServices: open,
    newUser: () => browserOf({ fetch, issuer: deployment.issuer }),
    async signIn(user, authorizationUrl) {
      return expectCallback(
        await user.signIn(authorizationUrl, { username: BENCH_USERNAME, password: BENCH_PASSWORD }),
      );
    },
    async close() {
      await server.stop();
      await agent.close();
    },
  };
}

async function seedLatchkey(s: Services, seed: LatchkeySeed) {
  const passwordHash = await hashPassword(BENCH_PASSWORD);
  const totpUser = async (username: string) => {
    const user = await s.users.create({ username, email: `${username}@example.com`, passwordHash });
    const totpSecret = newTotpSecret();
    await s.users.setTotp(user.id, s.box.seal(totpSecret, TOTP_SECRET_PURPOSE));
    return { username, totpSecret };
  };
  await s.users.create({ username: BENCH_USERNAME, email: `${BENCH_USERNAME}@example.com`, passwordHash });
  const passkeyUser = await totpUser(PASSKEY_USERNAME);
  const totpUsers = [];
  for (let i = 0; i < seed.totpUsers; i += 1) totpUsers.push(await totpUser(`bench-totp-${i}`));
  const codeClient = await addClient(s, CLIENT_IDS.code, ['authorization_code', 'refresh_token']);
  const serviceClient = await addClient(s, CLIENT_IDS.service, ['client_credentials']);
  const deviceClient = await addClient(s, CLIENT_IDS.device, ['authorization_code', 'refresh_token']);
  const mfaClient = await addClient(s, CLIENT_IDS.mfa, ['authorization_code', 'refresh_token']);
  const factor = newFactorClient('okta', { oktaDomain: OKTA_DOMAIN });
  await s.clients.add({
    name: factor.name,
    kind: 'factor',
    metadata: factor.metadata,
    secret: factor.secret,
    factor: factor.settings,
  });
  if (!(await s.deviceTrust.showCa())) await s.deviceTrust.initCa({ actor: 'bench' });
  const enrollmentTokens: string[] = [];
  for (let i = 0; i < seed.enrollmentTokens; i += 1) {
    enrollmentTokens.push((await s.deviceTrust.createEnrollmentToken(BENCH_USERNAME, { actor: 'bench' })).token);
  }
  return {
    codeClient,
    serviceClient,
    deviceClient,
    mfaClient,
    factorClient: { clientId: factor.metadata.client_id, clientSecret: factor.secret! },
    totpUsers,
    passkeyUser,
    enrollmentTokens,
  };
}

/** A first-party confidential client as `latchkey clients add` makes it (the baselines' too). */
export async function addClient(s: Services, clientId: string, grantType: string[]): Promise<ClientCredentials> {
  const interactive = grantType.includes('authorization_code');
  const { metadata, kind, secret } = clientMetadataFrom({
    name: clientId,
    clientId,
    kind: 'first_party',
    idTokenAlg: 'RS256',
    grantType,
    ...(interactive ? { redirectUri: [REDIRECT_URI] } : {}),
  });
  await s.clients.add({ name: clientId, kind, metadata, secret });
  return { clientId, clientSecret: secret! };
}
