// The composition root: the one place that wires stores, keys, oidc-provider, middleware and routes,
// and the HTTPS listener around them. Everything else receives what it needs as arguments.
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import Koa from 'koa';
import type { Provider } from 'oidc-provider';
import { PACKAGE_ROOT, type LoadedConfig } from '../config/load.js';
import { CsrfTokens } from '../http/csrf.js';
import { errorHandler } from '../http/errors.js';
import { health, HEALTH_PATHS } from '../http/health.js';
import { allowedHosts, hostCheck } from '../http/host-check.js';
import { forwardedHeaders } from '../http/proxy.js';
import { securityHeaders } from '../http/security-headers.js';
import { staticFiles } from '../http/static-files.js';
import { deviceCheckTlsMaterial, loadTlsMaterial, type TlsMaterial } from './tls.js';
import { ensureAccountClient } from '../account-page/client.js';
import { accountRouter } from '../account-page/router.js';
import { passkeyLinkRouter } from '../account-page/passkey-link.js';
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
import { SignInThrottle } from '../interactions/throttle.js';
import { SignInEvaluator } from '../interactions/evaluate.js';
import { deviceCertificateMethod, type DeviceCertificateMethod } from '../interactions/methods/device-certificate.js';
import { passwordMethod } from '../interactions/methods/password.js';
import { totpMethod } from '../interactions/methods/totp.js';
import type { SignInMethod } from '../interactions/methods/types.js';
import { SessionProofService } from '../interactions/session-proofs.js';
import { clientCertificateReader } from '../http/client-certificate.js';
import { TicketStore } from '../store/tickets.js';
import type { Logger } from '../log.js';
import { ProviderHost } from '../oidc/host.js';
import { createProvider } from '../oidc/provider.js';
import { ClusterSync } from './cluster-sync.js';
import { openPasskeys } from './passkeys.js';
import { openServices, type Services } from './services.js';
import { listenDeviceCheck } from './device-check-listener.js';
import { listenFailure } from './listen-error.js';
import { deviceApiRouter, deviceCheckApp } from '../trust/service/http.js';

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
  /** This node's id in the cluster table. */
  readonly nodeId: string;
  /** Starts the HTTPS listener and the device-check listener; resolves with the main listener's port. */
  listen(port?: number, host?: string, deviceCheckPort?: number): Promise<number>;
  /** Port of the device-check (mTLS) listener once listening (0 given to listen picks a free one). */
  readonly deviceCheckPort: number | undefined;
  /** The device-check listener's Koa app (device renewal and check). */
  deviceCheckKoa: Koa;
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
  const evaluator = new SignInEvaluator(access, methods);
  const oidcHost = new ProviderHost(
    (jwks) =>
      createProvider({
        config,
        store: services.oidcStore,
        users: services.users,
        jwks,
        cookieKeys,
        sessionCheck: sessionCheck(evaluator, services.users, sessionProofs, log),
        sessionGuard: sessionProofs,
        log,
      }),
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
  koa.use(hostCheck(allowedHosts(config.issuer, config.server.host_aliases), log, (p) => HEALTH_PATHS.has(p)));
  koa.use(
    staticFiles({
      'latchkey.css': path.join(staticDir, 'latchkey.css'),
      'form-post.js': path.join(staticDir, 'form-post.js'),
      ...passkeys.staticFiles,
    }),
  );
  const accountCsrf = new CsrfTokens(cookieKeys);
  const account = accountRouter({
    oidc: oidcHost,
    users: services.users,
    audit: services.audit,
    csrf: accountCsrf,
    issuer: config.issuer,
    log,
    passkeys: passkeys.account(sessionProofs, accountCsrf),
  });
  koa.use(account.routes());
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
  // Everything else is oidc-provider's: discovery, /auth, /token, /me, /jwks, /session/end, ...
  koa.use(async (ctx) => {
    ctx.set('Content-Security-Policy', "frame-ancestors 'none'; base-uri 'none'; object-src 'none'");
    ctx.respond = false;
    await oidcHost.handle(ctx.req, ctx.res);
  });

  const purge = setInterval(() => {
    services.oidcStore
      .purgeExpired()
      .catch((error: unknown) => log.warn({ err: error }, 'purging expired artifacts failed'));
  }, PURGE_INTERVAL_MS);
  purge.unref();

  let server: https.Server | undefined;
  let deviceCheckServer: https.Server | undefined;
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
    async listen(port = config.server.port, host = config.server.host, deviceCheckPort = config.device_check.port) {
      server = https.createServer({ cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2' }, koa.callback());
      await new Promise<void>((resolve, reject) => {
        server!.once('error', (error) => reject(listenFailure(error, 'main', port, host)));
        server!.listen(port, host, () => resolve());
      });
      const dcHost = config.device_check.host ?? host;
      deviceCheckServer = await listenDeviceCheck(deviceCheckKoa, deviceCheckTls, deviceCheckPort, dcHost).catch(
        async (error: unknown) => {
          await closeGracefully(server!, 0);
          throw error;
        },
      );
      await cluster.start();
      return (server.address() as AddressInfo).port;
    },
    get deviceCheckPort() {
      return deviceCheckServer ? (deviceCheckServer.address() as AddressInfo).port : undefined;
    },
    async close() {
      clearInterval(purge);
      await cluster.stop();
      const graceMs = config.server.shutdown_grace_seconds * 1000;
      await Promise.all([server, deviceCheckServer].map((s) => (s ? closeGracefully(s, graceMs) : undefined)));
      await services.close();
    },
  };
}

/**
 * The sign-in methods, in the order they are offered when several could meet a requirement, each given the
 * ports it needs.
 */
function signInMethods(
  services: Services,
  presented: ReturnType<typeof clientCertificateReader>,
  passkeys: readonly SignInMethod[],
): { methods: SignInMethod[]; deviceCertificate: DeviceCertificateMethod } {
  const { config, log } = services;
  const throttle = new SignInThrottle(services.rateLimits, config.security.rate_limits);
  const deviceCertificate = deviceCertificateMethod({
    tickets: new TicketStore(services.oidcStore.adapterFor('LatchkeyTicket')),
    check: (der) => services.deviceTrust.check(der),
    hasDevices: (userId) => services.deviceTrust.userHasDevice(userId),
    presented,
    audit: services.audit,
    deviceCheckUrl: services.deviceTrust.deviceCheckUrl,
    issuer: config.issuer,
    handoffTtlSeconds: config.device_check.handoff_ttl_seconds,
    log,
  });
  const methods = [
    passwordMethod({ users: services.users, throttle, audit: services.audit }),
    totpMethod({ users: services.users, box: services.box, throttle, audit: services.audit }),
    deviceCertificate,
    ...passkeys,
  ];
  return { methods, deviceCertificate };
}

async function closeGracefully(server: https.Server, graceMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const timer = setTimeout(() => server.closeAllConnections(), graceMs);
  await closed;
  clearTimeout(timer);
}

export type { Logger };
