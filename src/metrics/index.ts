// Metrics for one app: nothing at all unless configured (metrics.token or metrics.port), else a registry
// fed by the app's announcements, its stores and its oidc-provider, served at /metrics on the main listener
// (behind the token) or as the only route of a listener of its own (server/metrics-listener.ts).
import Koa, { type Middleware } from 'koa';
import type { Redis } from 'ioredis';
import type { Provider } from 'oidc-provider';
import type { Logger } from '../log.js';
import type { Database } from '../store/database.js';
import { metricsEndpoint } from './endpoint.js';
import { followEvents, type EventSources } from './events.js';
import { countTokens } from './provider.js';
import { LatchkeyMetrics } from './registry.js';
import { timeDatabase, timeRedis } from './stores.js';

export { METRICS_PATH } from './endpoint.js';
export { LatchkeyMetrics } from './registry.js';

export interface MetricsSettings {
  token: string | null;
  port: number | null;
  host: string;
}

export interface MetricsDeps {
  settings: MetricsSettings;
  db: Database;
  redis: Redis | undefined;
  sources: EventSources;
  log: Logger;
}

export interface AppMetrics {
  /** The registry, when metrics are on. */
  readonly metrics: LatchkeyMetrics | undefined;
  /** For the main listener: answers /metrics when served there, else passes every request on. */
  readonly mainListener: Middleware;
  /** The Koa app of the metrics listener, when metrics.port is set. */
  readonly ownListener: Koa | undefined;
  /** Follows a (new) oidc-provider's token events; returns it. */
  watching(provider: Provider): Provider;
  /** Stops following the stores and announcements. */
  close(): void;
}

const passThrough: Middleware = (_ctx, next) => next();

/** The metrics of one app as configured. */
export function appMetrics(deps: MetricsDeps): AppMetrics {
  const { settings, log } = deps;
  if (settings.token === null && settings.port === null) {
    return {
      metrics: undefined,
      mainListener: passThrough,
      ownListener: undefined,
      watching: (provider) => provider,
      close() {},
    };
  }
  const metrics = new LatchkeyMetrics();
  const undo = [followEvents(metrics, deps.sources), timeDatabase(deps.db, metrics)];
  if (deps.redis) undo.push(timeRedis(deps.redis, metrics));
  const endpoint = metricsEndpoint(metrics, settings.token, log);
  let ownListener: Koa | undefined;
  if (settings.port !== null) {
    ownListener = new Koa();
    ownListener.use(endpoint);
  }
  return {
    metrics,
    mainListener: settings.port === null ? endpoint : passThrough,
    ownListener,
    watching(provider) {
      countTokens(provider, metrics);
      return provider;
    },
    close() {
      for (const step of undo) step();
    },
  };
}
