// How long an admin waits for a `latchkey` command: `latchkey users list` on an empty SQLite database,
// spawned as an operator runs it (node bin/latchkey.js), against `node -e ''` measured in the same run as
// the floor no command can go below. Medians, after one unmeasured run that creates the database.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { PACKAGE_ROOT } from '../../src/config/load.js';

export interface CliStartResult {
  name: string;
  command: string;
  runs: number;
  medianMs: number;
  baselineMedianMs: number;
}

/** Median wall time of `runs` spawns of `latchkey users list` and of `node -e ''`, alternating. */
export function cliStartBenchmark(runs = 7): CliStartResult {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'latchkey-bench-cli-'));
  // Only what the command needs: no LATCHKEY_TEST_* or database URLs from the caller's environment.
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, LATCHKEY_DATA_DIR: dataDir };
  const latchkey = [path.join(PACKAGE_ROOT, 'bin', 'latchkey.js'), 'users', 'list'];
  const time = (args: string[]): number => {
    const began = performance.now();
    const result = spawnSync(process.execPath, args, { env, encoding: 'utf8', timeout: 60_000 });
    const elapsed = performance.now() - began;
    if (result.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${result.stderr || result.error}`);
    return elapsed;
  };
  try {
    time(latchkey); // creates the database and runs the migrations: not what a command usually costs
    const own: number[] = [];
    const floor: number[] = [];
    for (let i = 0; i < runs; i += 1) {
      own.push(time(latchkey));
      floor.push(time(['-e', '']));
    }
    return {
      name: 'cli-start',
      command: 'latchkey users list',
      runs,
      medianMs: median(own),
      baselineMedianMs: median(floor),
    };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** The line `npm run bench` prints. */
export function formatCliStart(result: CliStartResult): string {
  return (
    `${result.name}: ${result.command} median ${result.medianMs.toFixed(0)} ms over ${result.runs} runs, ` +
    `node -e '' ${result.baselineMedianMs.toFixed(0)} ms`
  );
}

// Run alone (`npm run bench:cli`): the figure without the flows' servers.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.stdout.write(`${formatCliStart(cliStartBenchmark())}\n`);
}
