// `npm run bench`: starts Latchkey (the real server, as the integration tests do) and a bare oidc-provider
// baseline in this process, runs every scenario against both, prints a table with Latchkey's throughput
// relative to the baseline, and ends with one machine-readable line: BENCH_RESULT {json}.
// Bounds per scenario and target: BENCH_ITERATIONS (200) or BENCH_SECONDS (20), whichever comes first,
// with BENCH_CONCURRENCY (4) in flight, taken in BENCH_ROUNDS (4) rounds that alternate between the two
// targets so that a change of load on the machine affects both alike.
import { performance } from 'node:perf_hooks';
import { backendName } from '../test/helpers/backend.js';
import { startBaseline } from './lib/baseline.js';
import { startLatchkey } from './lib/latchkey.js';
import {
  ratio,
  roundOptions,
  sample,
  summarize,
  summarizeLatencies,
  type Measurement,
  type Operation,
  type Sample,
} from './lib/measure.js';
import type { Scenario } from './lib/scenario.js';
import type { Target, TargetName } from './lib/target.js';
import { clientCredentials } from './scenarios/client-credentials.js';
import { codeFlowPasskey } from './scenarios/code-flow-passkey.js';
import { codeFlowPassword } from './scenarios/code-flow-password.js';
import { codeFlowSession } from './scenarios/code-flow-session.js';
import { deviceEnroll } from './scenarios/device-enroll.js';
import { deviceRenew } from './scenarios/device-renew.js';
import { deviceCertificateFlow, deviceCheckHandlerMs } from './scenarios/device-certificate-flow.js';
import { certificateIssuanceBenchmark } from './micro/certificate-issuance.js';
import { scepEnroll } from './scenarios/scep-enroll.js';
import { oktaFactorFlow } from './scenarios/okta-factor-flow.js';
import { policyEvaluateBenchmark } from './micro/policy-evaluate.js';
import { cliStartBenchmark, formatCliStart } from './micro/cli-start.js';
import { metricsScrapeBenchmark } from './micro/metrics-scrape.js';

const SCENARIOS: readonly Scenario[] = [
  codeFlowPassword,
  codeFlowPasskey,
  codeFlowSession,
  clientCredentials,
  deviceEnroll,
  deviceRenew,
  scepEnroll,
  oktaFactorFlow,
  // Last: it publishes a policy that sends every sign-in through the device check.
  deviceCertificateFlow,
];

interface BenchOptions {
  iterations: number;
  seconds: number;
  concurrency: number;
  rounds: number;
}

interface ScenarioResult {
  name: string;
  /** Absent for a Latchkey-only scenario with no comparable baseline (`baselineFrom: null`). */
  baseline?: Measurement;
  latchkey: Measurement;
  ratio?: number;
}

async function main(options: BenchOptions): Promise<void> {
  const began = performance.now();
  // First, while no server of ours is running: an admin command's start-up, spawned as operators run it.
  progress('cli start time (latchkey users list)');
  const cliStart = cliStartBenchmark();
  const latchkey = await startLatchkey();
  const baseline = await startBaseline(latchkey.server.app.tls).catch(async (error: unknown) => {
    await latchkey.close();
    throw error;
  });
  const targets: Record<TargetName, Target> = { baseline, latchkey };
  const results: ScenarioResult[] = [];
  try {
    for (const scenario of SCENARIOS) {
      const names: TargetName[] = scenario.baselineFrom === undefined ? ['baseline', 'latchkey'] : ['latchkey'];
      progress(`${scenario.name} on ${names.join(' and ')}`);
      const measured = await measureAlternating(
        scenario,
        names.map((name) => targets[name]),
        options,
      );
      const own = measured.latchkey!;
      if (scenario.baselineFrom === null) {
        results.push({ name: scenario.name, latchkey: own });
        continue;
      }
      const reference = scenario.baselineFrom
        ? results.find((r) => r.name === scenario.baselineFrom)?.baseline
        : measured.baseline;
      if (!reference) throw new Error(`scenario ${scenario.name}: no baseline named ${scenario.baselineFrom}`);
      results.push({ name: scenario.name, baseline: reference, latchkey: own, ratio: ratio(own, reference) });
    }
  } finally {
    await Promise.all([baseline.close(), latchkey.close()]);
  }

  const microSeconds = Math.min(options.seconds, 2);
  const micro = [
    policyEvaluateBenchmark(microSeconds),
    await certificateIssuanceBenchmark(microSeconds),
    await metricsScrapeBenchmark(microSeconds),
  ];
  const seconds = (performance.now() - began) / 1000;
  process.stdout.write(`${table(results)}\n`);
  for (const m of micro) {
    process.stdout.write(
      `${m.name}: ${Math.round(m.opsPerSecond)}/s, baseline ${Math.round(m.baselineOpsPerSecond)}/s, ratio ${m.ratio.toFixed(3)}\n`,
    );
  }
  const handler = summarizeLatencies(deviceCheckHandlerMs);
  process.stdout.write(
    `device-check listener, time per request (TLS handshake excluded): p50 ${handler.p50Ms.toFixed(2)} ms, p99 ${handler.p99Ms.toFixed(2)} ms over ${handler.count} requests\n`,
  );
  process.stdout.write(`${formatCliStart(cliStart)}\n`);
  process.stdout.write(
    `backend ${backendName()}, node ${process.version}, concurrency ${options.concurrency}, at most ` +
      `${options.iterations} iterations or ${options.seconds} s per scenario and target in ${options.rounds} ` +
      `alternating rounds; total ${seconds.toFixed(1)} s\n`,
  );
  const json = {
    backend: backendName(),
    node: process.version,
    options,
    totalSeconds: round(seconds),
    micro: micro.map((m) => ({
      ...m,
      opsPerSecond: Math.round(m.opsPerSecond),
      baselineOpsPerSecond: Math.round(m.baselineOpsPerSecond),
      ratio: round(m.ratio, 3),
    })),
    deviceCheckHandler: { count: handler.count, p50Ms: round(handler.p50Ms), p99Ms: round(handler.p99Ms) },
    cliStart: { ...cliStart, medianMs: round(cliStart.medianMs), baselineMedianMs: round(cliStart.baselineMedianMs) },
    scenarios: results.map((r) => ({
      name: r.name,
      ratio: r.ratio === undefined ? null : round(r.ratio, 3),
      baseline: r.baseline ? rounded(r.baseline) : null,
      latchkey: rounded(r.latchkey),
    })),
  };
  process.stdout.write(`BENCH_RESULT ${JSON.stringify(json)}\n`);
}

/** Prepares the scenario on each target, then samples them in alternating rounds (order flipped per round). */
async function measureAlternating(
  scenario: Scenario,
  targets: readonly Target[],
  options: BenchOptions,
): Promise<Partial<Record<TargetName, Measurement>>> {
  const operations: Array<[TargetName, Operation]> = [];
  for (const target of targets) operations.push([target.name, await scenario.prepare(target, options.concurrency)]);
  const samples = new Map<TargetName, Sample[]>(operations.map(([name]) => [name, []]));
  for (let r = 0; r < options.rounds; r += 1) {
    const order = r % 2 === 0 ? operations : [...operations].reverse();
    for (const [name, operation] of order)
      samples.get(name)!.push(await sample(operation, roundOptions(options, options.rounds, r)));
  }
  return Object.fromEntries([...samples].map(([name, taken]) => [name, summarize(taken)]));
}

function table(results: readonly ScenarioResult[]): string {
  const header = ['scenario', 'target', 'ops/s', 'p50 ms', 'p99 ms', 'n', 'ratio'];
  const cells = (m: Measurement) => [
    m.opsPerSecond.toFixed(1),
    m.p50Ms.toFixed(1),
    m.p99Ms.toFixed(1),
    String(m.count),
  ];
  // A Latchkey-only scenario without a comparable baseline shows its own throughput and no ratio.
  const rows = results.flatMap((r) => [
    r.baseline ? [r.name, 'baseline', ...cells(r.baseline), ''] : [r.name, 'baseline', '-', '-', '-', '-', 'none'],
    ['', 'latchkey', ...cells(r.latchkey), r.ratio === undefined ? 'n/a' : r.ratio.toFixed(3)],
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (row: readonly string[]) =>
    row
      .map((cell, i) => (i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function rounded(m: Measurement) {
  return {
    opsPerSecond: round(m.opsPerSecond),
    p50Ms: round(m.p50Ms),
    p99Ms: round(m.p99Ms),
    count: m.count,
    stoppedBy: m.stoppedBy,
  };
}

function round(value: number, digits = 2): number {
  return Number(value.toFixed(digits));
}

/** The bounds from the environment, or null after saying which variable is wrong. */
function optionsFromEnv(): BenchOptions | null {
  const bad: string[] = [];
  const read = (variable: string, fallback: number): number => {
    const raw = process.env[variable];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (Number.isInteger(value) && value >= 1) return value;
    bad.push(`${variable} must be a positive integer, not "${raw}"`);
    return fallback;
  };
  const iterations = read('BENCH_ITERATIONS', 200);
  const options = {
    iterations,
    seconds: read('BENCH_SECONDS', 20),
    concurrency: read('BENCH_CONCURRENCY', 4),
    rounds: Math.min(read('BENCH_ROUNDS', 4), iterations),
  };
  for (const message of bad) process.stderr.write(`bench: ${message}\n`);
  return bad.length ? null : options;
}

function progress(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

const options = optionsFromEnv();
if (!options) process.exit(2);
main(options).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench: failed: ${(error as Error)?.stack ?? error}\n`);
    process.exit(1);
  },
);
