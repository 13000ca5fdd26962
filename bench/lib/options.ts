// The bench's bounds from the environment. Per scenario and target: BENCH_SECONDS (4) of timed load,
// BENCH_ITERATIONS at most (no limit by default), BENCH_CONCURRENCY (4) in flight, split into
// BENCH_ROUNDS (4) rounds that alternate between the targets; BENCH_GROWTH_ROWS (100000) rows of each
// kind for the growth measurements (0 skips them); BENCH_SCENARIOS (all) a comma-separated list of the
// scenarios to run, or `none`.
export interface BenchOptions {
  iterations: number;
  seconds: number;
  concurrency: number;
  rounds: number;
  growthRows: number;
  /** Names of the scenarios to run; null: all. */
  scenarios: string[] | null;
}

/** The options, or null after saying on stderr which variable is wrong. */
export function optionsFromEnv(env: NodeJS.ProcessEnv = process.env): BenchOptions | null {
  const bad: string[] = [];
  const read = (variable: string, fallback: number, min = 1): number => {
    const raw = env[variable];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (Number.isFinite(value) && value >= min) return value;
    bad.push(`${variable} must be a number of at least ${min}, not "${raw}"`);
    return fallback;
  };
  const iterations = Math.floor(read('BENCH_ITERATIONS', 1_000_000_000));
  const options = {
    iterations,
    seconds: read('BENCH_SECONDS', 4, 0.1),
    concurrency: Math.floor(read('BENCH_CONCURRENCY', 4)),
    rounds: Math.min(Math.floor(read('BENCH_ROUNDS', 4)), iterations),
    growthRows: Math.floor(read('BENCH_GROWTH_ROWS', 100_000, 0)),
    scenarios: env.BENCH_SCENARIOS ? env.BENCH_SCENARIOS.split(',').map((name) => name.trim()) : null,
  };
  for (const message of bad) process.stderr.write(`bench: ${message}\n`);
  return bad.length ? null : options;
}
