// Keeps this node in step with every other node sharing the database: each tick it puts a newly published
// policy set in force, rebuilds the provider when the signing keys it should have changed (a rotation, a
// pending key whose activation time came, a retirement), and records what it applied. A store outage skips
// a tick; the node keeps serving with what it has and catches up at the next one.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from '../log.js';
import type { PolicySource } from '../interactions/policy-source.js';
import type { ProviderHost } from '../oidc/host.js';
import { liveWindowMs, type NodeRepository, type PolicySetRepository } from '../store/cluster.js';
import type { KeyRepository } from '../store/keys.js';

export interface ClusterSyncDeps {
  policySets: PolicySetRepository;
  nodes: NodeRepository;
  keys: KeyRepository;
  policies: PolicySource;
  host: ProviderHost;
  log: Logger;
  pollSeconds: number;
}

export class ClusterSync {
  readonly nodeId = randomUUID();
  readonly #startedAt = Date.now();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #rejectedVersion: number | undefined;
  #stopped = false;

  constructor(private readonly deps: ClusterSyncDeps) {}

  /** Records this node and starts following the cluster. */
  async start(): Promise<void> {
    await this.heartbeat();
    this.schedule();
  }

  /** Runs one tick now (and waits for one already running). */
  async syncNow(): Promise<void> {
    this.#running ??= this.tick().finally(() => {
      this.#running = undefined;
    });
    await this.#running;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
    await this.deps.nodes.remove(this.nodeId).catch(() => undefined);
  }

  private schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.syncNow().finally(() => this.schedule());
    }, this.deps.pollSeconds * 1000);
    this.#timer.unref();
  }

  private async tick(): Promise<void> {
    try {
      await this.followPolicies();
      await this.followKeys();
      await this.heartbeat();
    } catch (error) {
      this.deps.log.warn({ err: error }, 'cluster sync skipped a tick');
    }
  }

  private async followPolicies(): Promise<void> {
    const { policySets, policies } = this.deps;
    const latest = await policySets.latestVersion();
    if (latest === policies.version || latest === this.#rejectedVersion || latest === 0) return;
    const result = policies.apply(await policySets.latest());
    this.#rejectedVersion = result.ok ? undefined : result.version;
  }

  private async followKeys(): Promise<void> {
    const { keys, host, log } = this.deps;
    const now = Date.now();
    if ((await keys.providerKeysFingerprint(now)) === host.keysFingerprint) return;
    const next = await keys.providerKeys(now);
    host.replaceKeys(next);
    log.info({ keys: next.keys.map((key) => key.kid) }, 'signing keys changed: provider rebuilt');
  }

  private async heartbeat(): Promise<void> {
    const { nodes, policies, host, pollSeconds } = this.deps;
    await nodes.heartbeat({
      id: this.nodeId,
      hostname: hostname(),
      pid: process.pid,
      startedAt: this.#startedAt,
      policyVersion: policies.version ?? null,
      keysFingerprint: host.keysFingerprint,
    });
    await nodes.forget(Date.now() - 24 * 3600 * 1000 - liveWindowMs(pollSeconds));
  }
}
