// The composition root: the one place that wires stores, keys, oidc-provider, middleware and routes,
// and the HTTPS listener around them. Everything else receives what it needs as arguments.
import { readFileSync } from 'node:fs';
import type http from 'node:http';
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
import { loadTlsMaterial, type TlsMaterial } from './tls.js';
import { ensureAccountClient } from '../account-page/client.js';
import { accountRouter } from '../account-page/router.js';
import { openAccess } from '../interactions/open.js';
import type { ReloadResult } from '../interactions/policy-source.js';
import { sessionCheck } from '../interactions/session-check.js';
import { interactionRouter } from '../interactions/router.js';
import { InteractionStates } from '../interactions/state.js';
import { LoginThrottle } from '../interactions/throttle.js';
import type { Logger } from '../log.js';
import { createProvider } from '../oidc/provider.js';
import { openServices, type Services } from './services.js';
import { listenDeviceCheck } from './device-check-listener.js';
import { deviceApiRouter, deviceCheckApp } from '../trust/service/http.js';
import { scepAdminRouter, scepPlainHttpApp, scepRouter } from '../trust/service/scep/http.js';
import { listenScepPlainHttp } from './scep-listener.js';

export interface LatchkeyApp {
  services: Services;
  provider: Provider;
  koa: Koa;
  tls: TlsMaterial;
  /** Reads the policy file again; a bad file leaves the last good set in force. */
  reloadPolicies(): ReloadResult;
  /** Starts the HTTPS listener and the device-check listener; resolves with the main listener's port. */
  listen(port?: number, host?: string, deviceCheckPort?: number): Promise<number>;
  /** Port of the device-check (mTLS) listener once listening (0 given to listen picks a free one). */
  readonly deviceCheckPort: number | undefined;
  /** The device-check listener's Koa app (device renewal and check). */
  deviceCheckKoa: Koa;
  /** Port of the plain-HTTP SCEP listener once listening, when scep.plain_http.port is set. */
  readonly scepPlainHttpPort: number | undefined;
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
  const { access, policies } = await openAccess(services);
  await ensureAccountClient(services.clients, config.issuer);
  const provider = createProvider({
    config,
    store: services.oidcStore,
    users: services.users,
    jwks: await services.keys.privateJwks(),
    cookieKeys,
    sessionCheck: sessionCheck(access, services.users, log),
  });
  provider.on('server_error', (_ctx, error) => log.error({ err: error }, 'oidc-provider server error'));
  const tls = await loadTlsMaterial(config.server.tls, config.dataDirAbsolute);

  const koa = new Koa({ proxy: config.server.trusted_proxies.length > 0, keys: cookieKeys });
  const stylesheet = readFileSync(path.join(PACKAGE_ROOT, 'src', 'views', 'static', 'latchkey.css'));
  const interactions = interactionRouter({
    provider,
    users: services.users,
    clients: services.clients,
    box: services.box,
    csrf: new CsrfTokens(cookieKeys),
    throttle: new LoginThrottle(services.rateLimits, config.security.rate_limits),
    audit: services.audit,
    states: new InteractionStates(
      services.oidcStore.adapterFor('LatchkeyInteraction'),
      config.security.interaction_ttl_seconds,
    ),
    access,
    log,
  });
  const providerCallback = provider.callback();

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
  koa.use(async (ctx, next) => {
    if (ctx.path !== '/static/latchkey.css') return next();
    ctx.type = 'text/css';
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = stylesheet;
  });
  const account = accountRouter({
    provider,
    users: services.users,
    audit: services.audit,
    csrf: new CsrfTokens(cookieKeys),
    issuer: config.issuer,
    log,
  });
  koa.use(account.routes());
  koa.use(interactions.routes());
  koa.use(interactions.allowedMethods());
  const deviceHttp = {
    service: services.deviceTrust,
    rateLimits: services.rateLimits,
    limits: config.device_trust.rate_limits,
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
  for (const router of [scepRouter(scepHttp), scepAdminRouter({ ...scepHttp, adminTokens: services.adminTokens })]) {
    koa.use(router.routes());
    koa.use(router.allowedMethods());
  }
  const scepPlainKoa = scepPlainHttpApp(scepHttp, {
    proxy: config.server.trusted_proxies.length > 0,
    before: [forwardedHeaders(config.server.trusted_proxies, log)],
  });
  const deviceCheckKoa = deviceCheckApp(deviceHttp);
  // Everything else is oidc-provider's: discovery, /auth, /token, /me, /jwks, /session/end, ...
  koa.use(async (ctx) => {
    ctx.set('Content-Security-Policy', "frame-ancestors 'none'; base-uri 'none'; object-src 'none'");
    ctx.respond = false;
    await providerCallback(ctx.req, ctx.res);
  });

  const purge = setInterval(() => {
    services.oidcStore
      .purgeExpired()
      .catch((error: unknown) => log.warn({ err: error }, 'purging expired artifacts failed'));
    services.scep
      .purgeExpiredChallenges()
      .catch((error: unknown) => log.warn({ err: error }, 'purging expired SCEP challenges failed'));
  }, PURGE_INTERVAL_MS);
  purge.unref();

  let server: https.Server | undefined;
  let deviceCheckServer: https.Server | undefined;
  let scepPlainServer: http.Server | undefined;
  return {
    services,
    provider,
    koa,
    deviceCheckKoa,
    tls,
    reloadPolicies: () => policies.reload(),
    async listen(port = config.server.port, host = config.server.host, deviceCheckPort = config.device_check.port) {
      server = https.createServer({ cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2' }, koa.callback());
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        server!.listen(port, host, () => resolve());
      });
      const dcHost = config.device_check.host ?? host;
      deviceCheckServer = await listenDeviceCheck(deviceCheckKoa, tls, deviceCheckPort, dcHost).catch(
        async (error: unknown) => {
          await closeGracefully(server!, 0);
          throw error;
        },
      );
      const plain = config.scep.plain_http;
      if (plain.port !== null) {
        scepPlainServer = await listenScepPlainHttp(scepPlainKoa, plain.port, plain.host ?? host).catch(
          async (error: unknown) => {
            await Promise.all([closeGracefully(server!, 0), closeGracefully(deviceCheckServer!, 0)]);
            throw error;
          },
        );
      }
      return (server.address() as AddressInfo).port;
    },
    get deviceCheckPort() {
      return deviceCheckServer ? (deviceCheckServer.address() as AddressInfo).port : undefined;
    },
    get scepPlainHttpPort() {
      return scepPlainServer ? (scepPlainServer.address() as AddressInfo).port : undefined;
    },
    async close() {
      clearInterval(purge);
      const graceMs = config.server.shutdown_grace_seconds * 1000;
      const servers = [server, deviceCheckServer, scepPlainServer];
      await Promise.all(servers.map((s) => (s ? closeGracefully(s, graceMs) : undefined)));
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
