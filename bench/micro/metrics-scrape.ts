// What one /metrics scrape costs: rendering a registry that has seen a busy node's traffic (50 clients,
// every counter, SQL and Redis timings), against a registry with prom-client's process metrics alone,
// measured in the same run as the baseline. Also reports the size of the exposition text.
import { performance } from 'node:perf_hooks';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { LatchkeyMetrics } from '../../src/metrics/registry.js';
import { countAuditEvent } from '../../src/metrics/events.js';
import type { MicroResult } from './policy-evaluate.js';

/** A registry as a node that has served 50 clients leaves it. */
export function busyMetrics(): LatchkeyMetrics {
  const metrics = new LatchkeyMetrics();
  for (let c = 0; c < 50; c += 1) {
    for (const [outcome, error] of [
      ['success', undefined],
      ['failure', 'access_denied'],
      ['failure', 'unmet_authentication_requirements'],
    ] as const) {
      countAuditEvent(metrics, { event: 'login.complete', outcome, clientId: `client-${c}`, detail: { error } });
    }
  }
  for (const grant_type of ['authorization_code', 'refresh_token', 'client_credentials'])
    for (const token of ['access_token', 'id_token', 'refresh_token']) metrics.tokensIssued.inc({ grant_type, token });
  for (const store of ['sql', 'redis'])
    for (const operation of ['select', 'insert', 'update', 'delete', 'get', 'set', 'incr', 'eval', 'multi', 'exec'])
      for (let i = 0; i < 20; i += 1) metrics.storeDuration.observe({ store, operation }, i / 1000);
  return metrics;
}

async function rate(render: () => Promise<string>, seconds: number): Promise<number> {
  let count = 0;
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    await render();
    count += 1;
  }
  return count / seconds;
}

export async function metricsScrapeBenchmark(seconds = 2): Promise<MicroResult & { bytes: number }> {
  const busy = busyMetrics();
  const plain = new Registry();
  collectDefaultMetrics({ register: plain });
  await rate(() => busy.registry.metrics(), 0.2);
  const opsPerSecond = await rate(() => busy.registry.metrics(), seconds);
  const baselineOpsPerSecond = await rate(() => plain.metrics(), seconds);
  return {
    name: 'metrics scrape (busy registry vs process metrics only)',
    opsPerSecond,
    baselineOpsPerSecond,
    ratio: opsPerSecond / baselineOpsPerSecond,
    bytes: Buffer.byteLength(await busy.registry.metrics()),
  };
}
