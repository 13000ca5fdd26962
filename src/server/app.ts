// The composition root: the one place that wires stores, keys, oidc-provider, middleware and routes,
// and the HTTPS listener around them. Everything else receives what it needs as arguments.
import type http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import Koa from 'koa';
import type { Provider } from 'oidc-provider';
import { PACKAGE_ROOT, type LoadedConfig } from '../config/load.js';
import { scepProfileUrl } from '../config/scep.js';
import { CsrfTokens } from '../http/csrf.js';
import { errorHandler } from '../http/errors.js';
import { health, HEALTH_PATHS } from '../http/health.js';
import { allowedHosts, hostCheck } from '../http/host-check.js';
import { forwardedHeaders } from '../http/proxy.js';
import { securityHeaders } from '../http/security-headers.js';
import { staticFiles } from '../http/static-files.js';
import { authorizationEndpointProbe } from '../http/endpoint-probe.js';
import { deviceCheckTlsMaterial, loadTlsMaterial, type TlsMaterial } from './tls.js';
import { ensureAccountClient } from '../account-page/client.js';
import { accountRouter } from '../account-page/router.js';
import { passkeyLinkRouter } from '../account-page/passkey-link.js';
import { openConsole } from '../console/router.js';
import { perIpRateLimit } from '../http/rate-limit.js';
import { openAccess } from '../interactions/open.js';
import {
  publishPolicyFile,
  resolvePolicyFile,
  type ApplyResult,
  type PublishResult,
} from '../interactions/policy-source.js';
import { sessionCheck } from '../interactions/session-check.js';
import { interactionRouter } from '../interactions/router.js';
import { InteractionStates } from '../interactions/state.js';
import { SignInEvaluator } from '../interactions/evaluate.js';
import { SessionProofService } from '../interactions/session-proofs.js';
import { FederatedSignIn } from '../interactions/federation.js';
import { LoopGuard } from '../interactions/loop-guard.js';
import { complianceRule } from '../federation/device-context.js';
import { EntraHintVerifier } from '../federation/entra-hint.js';
import { clientCertificateReader } from '../http/client-certificate.js';
import type { Logger } from '../log.js';
import { ProviderHost } from '../oidc/host.js';
import { createProvider } from '../oidc/provider.js';
import { ClusterSync } from './cluster-sync.js';
import { openPasskeys } from './passkeys.js';
import { openServices, type Services } from './services.js';
import { signInMethods } from './sign-in-methods.js';
import { listenMetrics } from './metrics-listener.js';
import { appMetrics } from '../metrics/index.js';
import { listenDeviceCheck } from './device-check-listener.js';
import { listen } from './listen.js';
import { deviceApiRouter, deviceCheckApp } from '../trust/service/http.js';
import { scepAdminRouter, scepPlainHttpApp, scepRouter } from '../trust/service/scep/http.js';
import { listenScepPlainHttp } from './scep-listener.js';
import { TicketStore } from '../store/tickets.js';
import { whatIf, type AdminWhatIf } from '../admin/what-if.js';
import { clientMetadataValidator } from '../oidc/client-validation.js';
import { adminServices, scepChallengeGuard } from './admin-services.js';
import { adminApi } from '../admin-api/router.js';
import { adminApiRoutes } from '../admin-api/resources/index.js';
import { adminBearerVerifier } from '../oidc/admin-tokens.js';

export type { AdminWhatIf } from '../admin/what-if.js';

export interface LatchkeyApp {
  services: Services;
  /** The oidc-provider instance in use now (it is rebuilt when the signing keys change). */
  readonly provider: Provider;
  koa: Koa;
  tls: TlsMaterial;
  /** What was put in force at start: a bad set leaves sign-ins failing closed until a good one is published. */
  readonly initialPolicies: ApplyResult;
  /** Publishes this node's policy file (validated) to every node and applies it here at once. */
  reloadPolicies(): Promise<PublishResult>;
  /** Follows the cluster now: published policies, signing keys (tests and reload use it). */
  syncCluster(): Promise<void>;
  /** Deletes what has expired from the stores (run every few minutes by itself). */
  purgeExpired(): Promise<void>;
  /** This node's id in the cluster table. */
  readonly nodeId: string;
  /** Starts the HTTPS listener and the device-check listener; resolves with the main listener's port. */
  listen(port?: number, host?: string, deviceCheckPort?: number): Promise<number>;
  /** Port of the device-check (mTLS) listener once listening (0 given to listen picks a free one). */
  readonly deviceCheckPort: number | undefined;
  /** The device-check listener's HTTPS server once listening (benchmarks time its requests). */
  readonly deviceCheckServer: https.Server | undefined;
  /** The device-check listener's Koa app (device renewal and check). */
  deviceCheckKoa: Koa;
  /** Port of the plain-HTTP SCEP listener once listening, when scep.plain_http.port is set. */
  readonly scepPlainHttpPort: number | undefined;
  /** Port of the metrics listener once listening, when metrics.port is set. */
  readonly metricsPort: number | undefined;
  /** Stops accepting, lets open requests finish (up to the grace period), closes the stores. */
  close(): Promise<void>;
}

const PURGE_INTERVAL_MS = 5 * 60_000;

/** Builds a ready-to-listen Latchkey from validated configuration. */
export async function createApp(
  config: LoadedConfig,
  log: Logger,
  env: NodeJS.ProcessEnv = process.env,
): Promise<LatchkeyApp> {
  const services = await openServices(config, log, env);
  try {
    return await assemble(services);
  } catch (error) {
    await services.close();
    throw error;
  }
}

async function assemble(services: Services): Promise<LatchkeyApp> {
  const { config, log } = services;
  const createdKeys = await services.keys.ensureSigningKeys();
  if (createdKeys) log.info({ created: createdKeys }, 'generated signing keys');
  const cookieKeys = await services.keys.cookieKeys();
  const opened = await openAccess(services, { publishLocalFile: true });
  const { access, policies } = opened;
  await ensureAccountClient(services.clients, config.issuer);
  const staticDir = path.join(PACKAGE_ROOT, 'src', 'views', 'static');
  const passkeys = await openPasskeys(services, staticDir);
  const sessionProofs = new SessionProofService(
    services.sessionProofs,
    services.deviceTrust,
    config.tokens.session_ttl_seconds,
    passkeys.standings,
  );
  const presented = clientCertificateReader(config.device_check.client_certificate_header, log);
  const { methods, deviceCertificate } = signInMethods(services, presented, passkeys.methods);
  const metrics = appMetrics({
    settings: config.metrics,
    db: services.db,
    redis: services.redis,
    sources: { audit: services.db, rateLimits: services.rateLimits, deviceTrust: services.deviceTrust },
    log,
  });
  const evaluator = new SignInEvaluator(access, methods);
  // The administration services the admin API and the console share (the CLI builds the same ones).
  const admin = adminServices(services, {
    validateClientMetadata: (metadata) => clientMetadataValidator(oidcHost.provider)(metadata),
  });
  const adminWhatIf: AdminWhatIf = (options, draft) =>
    whatIf(
      { ...services, policies, countries: opened.countries, methods, adminGroup: config.admin.group },
      options,
      draft,
    );
  const federation = new FederatedSignIn({
    clients: services.clients,
    users: services.users,
    sessionProofs,
    hints: new EntraHintVerifier(),
    compliance: complianceRule(config.federation.compliance),
    loopGuard: new LoopGuard(services.rateLimits, config.security.loop_guard),
    log,
  });
  const oidcHost = new ProviderHost(
    (jwks) =>
      metrics.watching(
        createProvider({
          config,
          store: services.oidcStore,
          users: services.users,
          jwks,
          cookieKeys,
          sessionCheck: sessionCheck(evaluator, services.users, sessionProofs, federation, log),
          sessionGuard: sessionProofs,
          federation,
          log,
        }),
      ),
    await services.keys.providerKeys(),
  );
  const cluster = new ClusterSync({
    policySets: services.policySets,
    nodes: services.nodes,
    keys: services.keys,
    policies,
    host: oidcHost,
    log,
    pollSeconds: config.cluster.poll_seconds,
  });
  const tls = await loadTlsMaterial(config.server.tls, config.dataDirAbsolute);
  const deviceCheckTls = deviceCheckTlsMaterial(config.device_check.tls, tls);

  const koa = new Koa({ proxy: config.server.trusted_proxies.length > 0, keys: cookieKeys });
  const interactions = interactionRouter({
    oidc: oidcHost,
    issuer: config.issuer,
    users: services.users,
    clients: services.clients,
    csrf: new CsrfTokens(cookieKeys),
    audit: services.audit,
    states: new InteractionStates(
      services.oidcStore.adapterFor('LatchkeyInteraction'),
      config.security.interaction_ttl_seconds,
    ),
    access,
    evaluator,
    sessionProofs,
    federation,
    formTargets: [new URL(services.deviceTrust.deviceCheckUrl).origin],
    log,
  });

  koa.use(forwardedHeaders(config.server.trusted_proxies, log));
  koa.use(errorHandler(log));
  koa.use(securityHeaders());
  koa.use(
    health({
      ...services.readiness,
      policies: async () => {
        policies.current();
      },
    }),
  );
  // Before the Host check: Prometheus scrapes by IP address (the bearer token is the protection).
  koa.use(metrics.mainListener);
  koa.use(hostCheck(allowedHosts(config.issuer, config.server.host_aliases), log, (p) => HEALTH_PATHS.has(p)));
  koa.use(
    staticFiles({
      'latchkey.css': path.join(staticDir, 'latchkey.css'),
      'console.css': path.join(staticDir, 'console.css'),
      'form-post.js': path.join(staticDir, 'form-post.js'),
      ...passkeys.staticFiles,
    }),
  );
  const accountCsrf = new CsrfTokens(cookieKeys);
  const account = accountRouter({
    oidc: oidcHost,
    users: services.users,
    clients: services.clients,
    devices: services.deviceTrust,
    box: services.box,
    tickets: new TicketStore(services.oidcStore.adapterFor('LatchkeyTicket')),
    audit: services.audit,
    csrf: accountCsrf,
    issuer: config.issuer,
    reauthenticationSeconds: config.security.reauthentication_seconds,
    log,
    passkeys: passkeys.account(sessionProofs, accountCsrf),
  });
  koa.use(
    adminApi({
      routes: adminApiRoutes({
        admin,
        devices: services.deviceTrust,
        scep: services.scep,
        scepUrl: (profile) => scepProfileUrl(config, profile),
        whatIf: adminWhatIf,
      }),
      verifier: adminBearerVerifier({
        provider: () => oidcHost.provider,
        clients: services.clients,
        apiTokens: services.adminTokens,
      }),
      audit: services.audit,
      rateLimits: services.rateLimits,
      limit: config.admin.api_rate_limit,
      issuer: config.issuer,
      log,
    }),
  );
  koa.use(account.routes());
  const adminConsole = await openConsole({
    ...services,
    oidc: oidcHost,
    issuer: config.issuer,
    adminGroup: config.admin.group,
    admin,
    devices: services.deviceTrust,
    whatIf: adminWhatIf,
    sessionProofs,
    csrf: new CsrfTokens(cookieKeys),
  });
  koa.use(adminConsole.routes());
  koa.use(interactions.routes());
  koa.use(interactions.allowedMethods());
  const deviceHttp = {
    service: services.deviceTrust,
    rateLimits: services.rateLimits,
    limits: config.device_trust.rate_limits,
    presented,
    trustedProxies: config.device_check.client_certificate_header?.trusted_proxies ?? [],
    log,
  };
  koa.use(deviceApiRouter(deviceHttp).routes());
  const scepHttp = {
    service: services.scep,
    path: config.scep.path,
    rateLimits: services.rateLimits,
    limit: config.scep.rate_limits.pki_operation_per_ip,
    log,
  };
  const scepChallenges = scepAdminRouter({
    ...scepHttp,
    adminTokens: services.adminTokens,
    mayChallenge: scepChallengeGuard(admin, services.audit),
  });
  for (const router of [scepRouter(scepHttp), scepChallenges]) {
    koa.use(router.routes());
    koa.use(router.allowedMethods());
  }
  const scepPlainKoa = scepPlainHttpApp(scepHttp, {
    proxy: config.server.trusted_proxies.length > 0,
    before: [forwardedHeaders(config.server.trusted_proxies, log)],
  });
  const passkeyLinks = passkeyLinkRouter({
    tickets: passkeys.tickets,
    check: (der) => services.deviceTrust.check(der),
    presented,
    audit: services.audit,
    issuer: config.issuer,
    ttlSeconds: config.passkeys.link_ttl_seconds,
    limit: perIpRateLimit(services.rateLimits, 'passkey-link', config.device_trust.rate_limits.renew_per_ip),
  });
  const deviceCheckKoa = deviceCheckApp(deviceHttp, [deviceCertificate.deviceCheckRouter(), passkeyLinks]);
  koa.use(authorizationEndpointProbe());
  // Everything else is oidc-provider's: discovery, /auth, /token, /me, /jwks, /session/end, ...
  koa.use(async (ctx) => {
    ctx.set('Content-Security-Policy', "frame-ancestors 'none'; base-uri 'none'; object-src 'none'");
    ctx.respond = false;
    await oidcHost.handle(ctx.req, ctx.res);
  });

  const purge = setInterval(() => void purgeExpired(services, log), PURGE_INTERVAL_MS);
  purge.unref();

  let server: https.Server | undefined;
  let deviceCheckServer: https.Server | undefined;
  let scepPlainServer: http.Server | undefined;
  let metricsServer: http.Server | undefined;
  return {
    services,
    get provider() {
      return oidcHost.provider;
    },
    koa,
    deviceCheckKoa,
    tls,
    initialPolicies: opened.initial,
    nodeId: cluster.nodeId,
    async reloadPolicies() {
      const result = await publishPolicyFile(resolvePolicyFile(config.policies.file), services.policySets, 'SIGHUP');
      if (result.ok) await cluster.syncNow();
      return result;
    },
    syncCluster: () => cluster.syncNow(),
    purgeExpired: () => purgeExpired(services, log),
    async listen(port = config.server.port, host = config.server.host, deviceCheckPort = config.device_check.port) {
      server = https.createServer({ cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2' }, koa.callback());
      await listen(server, port, host, 'main');
      const plain = config.scep.plain_http;
      // A listener that cannot start closes those already listening.
      const closeStarted = async (error: unknown): Promise<never> => {
        const started = [server, deviceCheckServer, scepPlainServer];
        await Promise.all(started.map((s) => (s ? closeGracefully(s, 0) : undefined)));
        throw error;
      };
      const dcHost = config.device_check.host ?? host;
      deviceCheckServer = await listenDeviceCheck(deviceCheckKoa, deviceCheckTls, deviceCheckPort, dcHost).catch(
        closeStarted,
      );
      if (plain.port !== null) {
        scepPlainServer = await listenScepPlainHttp(scepPlainKoa, plain.port, plain.host ?? host).catch(closeStarted);
      }
      if (metrics.ownListener && config.metrics.port !== null) {
        metricsServer = await listenMetrics(metrics.ownListener, config.metrics.port, config.metrics.host).catch(
          closeStarted,
        );
      }
      await cluster.start();
      return (server.address() as AddressInfo).port;
    },
    get deviceCheckPort() {
      return deviceCheckServer ? (deviceCheckServer.address() as AddressInfo).port : undefined;
    },
    get deviceCheckServer() {
      return deviceCheckServer;
    },
    get scepPlainHttpPort() {
      return scepPlainServer ? (scepPlainServer.address() as AddressInfo).port : undefined;
    },
    get metricsPort() {
      return metricsServer ? (metricsServer.address() as AddressInfo).port : undefined;
    },
    async close() {
      clearInterval(purge);
      await cluster.stop();
      const graceMs = config.server.shutdown_grace_seconds * 1000;
      const servers = [server, deviceCheckServer, scepPlainServer, metricsServer];
      await Promise.all(servers.map((s) => (s ? closeGracefully(s, graceMs) : undefined)));
      metrics.close();
      await services.close();
    },
  };
}

async function closeGracefully(server: http.Server, graceMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const timer = setTimeout(() => server.closeAllConnections(), graceMs);
  await closed;
  clearTimeout(timer);
}

export type { Logger };

/**
 * Deletes what has expired and nothing reads any more: oidc-provider artifacts, session proofs, rate-limit
 * windows (SQL; Redis expires its own keys) and SCEP challenges. Each job's failure is logged and does not
 * stop the others; rows left behind are invisible to reads and go in the next run.
 */
async function purgeExpired(services: Services, log: Logger): Promise<void> {
  const jobs: Record<string, () => Promise<unknown>> = {
    artifacts: () => services.oidcStore.purgeExpired(),
    'session proofs': () => services.sessionProofs.purgeExpired(),
    'rate-limit windows': () => services.rateLimits.purgeExpired(),
    'SCEP challenges': () => services.scep.purgeExpiredChallenges(),
  };
  await Promise.all(
    Object.entries(jobs).map(([name, job]) =>
      job().catch((error: unknown) => log.warn({ err: error }, `purging expired ${name} failed`)),
    ),
  );
}
