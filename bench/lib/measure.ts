// Runs one operation many times with bounded concurrency and reports throughput and latency. Bounded in
// count and in time: workers stop taking new iterations at either limit, and a single iteration that
// hangs fails the run instead of stalling it. A measurement may be taken in several rounds (alternating
// with another target's, so a load change on the machine hits both alike) and combined; the statistics
// are pure functions. The server's CPU time is read around each round (bench/lib/server-process.ts), so
// it covers exactly the timed iterations, not the warm-up.
import { performance } from 'node:perf_hooks';

export interface SampleOptions {
  /** Stop after this many timed iterations. */
  iterations: number;
  /** Stop starting new iterations after this many seconds. */
  seconds: number;
  /** Iterations in flight at once. */
  concurrency: number;
  /** Untimed iterations run first; default one per worker (warms connections and the JIT). */
  warmup?: number;
  /** An iteration taking longer than this fails the measurement. */
  iterationTimeoutMs?: number;
}

/** Latencies of one round, in milliseconds, and how long the round took. */
export interface Sample {
  latencies: number[];
  elapsedMs: number;
  /** CPU seconds the server process spent during the timed part of the round. */
  serverCpuSeconds: number;
  /** CPU seconds this process (the load generator) spent during the timed part of the round. */
  generatorCpuSeconds: number;
  /** The server process's resident set size at the end of the round. */
  serverRssBytes: number;
  stoppedBy: 'iterations' | 'time';
}

export interface Measurement {
  count: number;
  elapsedMs: number;
  opsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** 'time' when any round hit the time bound before its iteration count. */
  stoppedBy: Sample['stoppedBy'];
  /** Server CPU seconds per 1,000 operations. */
  cpuPer1000: number;
  /** Operations per second one fully busy server core would serve: 1000 / cpuPer1000. */
  perCore: number;
  /** Share of one core the load generator used while timing (near 1: it, not the server, may be the limit). */
  generatorCpuShare: number;
  /** The largest resident set size of the server process seen at the end of a round. */
  rssBytes: number;
}

/** The operation under measurement; `worker` is stable per concurrent lane (0 … concurrency-1). */
export type Operation = (worker: number) => Promise<void>;

/** Runs one round of `operation`; the first failing iteration stops every worker and is rethrown. */
export async function sample(
  operation: Operation,
  options: SampleOptions,
  server: { cpuSeconds(): number; rssBytes(): number },
): Promise<Sample> {
  const timeoutMs = options.iterationTimeoutMs ?? 30_000;
  const lanes = Math.max(1, Math.min(options.concurrency, options.iterations));
  const warmup = options.warmup ?? lanes;
  if (warmup > 0) await runLanes(lanes, warmup, Number.POSITIVE_INFINITY, operation, timeoutMs, []);

  const latencies: number[] = [];
  const cpuBefore = server.cpuSeconds();
  const generatorBefore = process.cpuUsage();
  const started = performance.now();
  await runLanes(lanes, options.iterations, started + options.seconds * 1000, operation, timeoutMs, latencies);
  const elapsedMs = performance.now() - started;
  return {
    latencies,
    elapsedMs,
    serverCpuSeconds: server.cpuSeconds() - cpuBefore,
    generatorCpuSeconds: cpuSecondsSince(generatorBefore),
    serverRssBytes: server.rssBytes(),
    stoppedBy: latencies.length >= options.iterations ? 'iterations' : 'time',
  };
}

function cpuSecondsSince(before: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1e6;
}

async function runLanes(
  lanes: number,
  iterations: number,
  deadline: number,
  operation: Operation,
  timeoutMs: number,
  latencies: number[],
): Promise<void> {
  let started = 0;
  let failed = false;
  const lane = async (worker: number): Promise<void> => {
    while (!failed && started < iterations && performance.now() < deadline) {
      started += 1;
      const t0 = performance.now();
      try {
        await withTimeout(operation(worker), timeoutMs);
      } catch (error) {
        failed = true;
        throw error;
      }
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: lanes }, (_, worker) => lane(worker)));
}

async function withTimeout(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`an iteration took longer than ${ms} ms`)), ms);
  });
  try {
    await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** Throughput (completed iterations over the rounds' summed time) and latency percentiles. */
export function summarize(samples: readonly Sample[]): Measurement {
  const sorted = samples.flatMap((s) => s.latencies).sort((a, b) => a - b);
  const elapsedMs = samples.reduce((sum, s) => sum + s.elapsedMs, 0);
  const cpuSeconds = samples.reduce((sum, s) => sum + s.serverCpuSeconds, 0);
  const cpuPer1000 = sorted.length ? (cpuSeconds * 1000) / sorted.length : 0;
  return {
    cpuPer1000,
    perCore: cpuPer1000 > 0 ? 1000 / cpuPer1000 : 0,
    rssBytes: Math.max(0, ...samples.map((s) => s.serverRssBytes)),
    generatorCpuShare:
      elapsedMs > 0 ? (samples.reduce((sum, s) => sum + s.generatorCpuSeconds, 0) * 1000) / elapsedMs : 0,
    count: sorted.length,
    elapsedMs,
    opsPerSecond: elapsedMs > 0 ? (sorted.length * 1000) / elapsedMs : 0,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    stoppedBy: samples.some((s) => s.stoppedBy === 'time') ? 'time' : 'iterations',
  };
}

/** Nearest-rank percentile of an ascending list; 0 for an empty list. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** Throughput relative to a reference's (1 = as fast, 0.5 = half as fast). */
export function ratio(measured: Measurement, reference: Measurement): number {
  return reference.opsPerSecond > 0 ? measured.opsPerSecond / reference.opsPerSecond : 0;
}

/** Round `round` (0-based) of overall bounds split into `rounds` (≤ iterations) near-equal rounds. */
export function roundOptions(
  total: { iterations: number; seconds: number; concurrency: number },
  rounds: number,
  round: number,
): SampleOptions {
  const iterations = Math.floor(total.iterations / rounds) + (round < total.iterations % rounds ? 1 : 0);
  return {
    iterations,
    seconds: total.seconds / rounds,
    concurrency: total.concurrency,
    // The first round warms connections and the JIT with a few untimed iterations per lane.
    warmup: round === 0 ? 3 * total.concurrency : 0,
  };
}
