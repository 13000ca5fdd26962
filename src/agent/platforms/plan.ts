// A plan: what the agent does on a system it cannot test here (macOS, Windows) or whose service manager
// may be missing (systemd), as a list of steps — a command with its arguments, a file to write or to
// delete — built by pure functions from facts, so the exact commands are unit-tested, then executed in
// order by runPlan. The first failing step stops the plan and is named; cleanup steps (temporary files
// holding key material) run whatever happened.
import { execFile } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { writeFileAtomic } from '../state.js';

export type Step =
  | {
      kind: 'run';
      command: string;
      args: string[];
      /** What the step is for, in the words printed when it fails. */
      why: string;
      /** Indexes into `args` that are secrets: printed as ***. */
      secretArgs?: number[];
      /** Failing is expected when there is nothing to undo (e.g. removing what is already gone). */
      mayFail?: boolean;
    }
  | { kind: 'write'; path: string; contents: string | Uint8Array; mode: number; why: string }
  | { kind: 'delete'; path: string; why: string };

export interface Plan {
  steps: Step[];
  /** Run after the steps, also when one failed. */
  cleanup: Step[];
}

/** What runs a plan's steps: the real system, or a recorder in tests. */
export interface Executor {
  run(command: string, args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  write(file: string, contents: string | Uint8Array, mode: number): Promise<void>;
  delete(file: string): Promise<void>;
}

export interface PlanOutcome {
  ok: boolean;
  /** A line for each step that had nothing to do or failed to clean up. */
  lines: string[];
  /** For a failed plan: which step, what it ran and why it failed. */
  failure?: string;
}

/** A command step. */
export function command(command: string, args: string[], why: string): Extract<Step, { kind: 'run' }> {
  return { kind: 'run', command, args, why };
}

/** A command step whose failure means there was nothing to undo. */
export function optional(command: string, args: string[], why: string): Step {
  return { kind: 'run', command, args, why, mayFail: true };
}

/** Runs `plan` with `executor`: stops at the first failing step (unless it may fail), then cleans up. */
export async function runPlan(plan: Plan, executor: Executor): Promise<PlanOutcome> {
  const lines: string[] = [];
  let failure: string | undefined;
  for (const [index, step] of plan.steps.entries()) {
    const problem = await attempt(step, executor);
    if (problem === null) continue;
    if (step.kind === 'run' && step.mayFail) {
      lines.push(`step ${index + 1} (${step.why}) had nothing to do: ${problem}`);
      continue;
    }
    failure = `step ${index + 1} of ${plan.steps.length} failed (${step.why}): ${describeStep(step)}: ${problem}`;
    break;
  }
  for (const step of plan.cleanup) {
    const problem = await attempt(step, executor);
    if (problem !== null) lines.push(`cleanup failed (${step.why}): ${problem}`);
  }
  return failure === undefined ? { ok: true, lines } : { ok: false, lines, failure };
}

/** One step as a shell-like line (arguments quoted where needed, secrets as ***). */
export function describeStep(step: Step): string {
  if (step.kind === 'write') return `write ${step.path} (mode ${step.mode.toString(8).padStart(4, '0')})`;
  if (step.kind === 'delete') return `delete ${step.path}`;
  const args = step.args.map((arg, index) => (step.secretArgs?.includes(index) ? '***' : quote(arg)));
  return [quote(step.command), ...args].join(' ');
}

/** The executor for this machine: commands without a shell, files written atomically. */
export const systemExecutor: Executor = {
  async run(command, args) {
    try {
      const { stdout, stderr } = await promisify(execFile)(command, [...args], { encoding: 'utf8', timeout: 60_000 });
      return { code: 0, stdout, stderr };
    } catch (cause) {
      const error = cause as NodeJS.ErrnoException & { stdout?: string; stderr?: string; code?: number | string };
      if (error.code === 'ENOENT') return { code: 127, stdout: '', stderr: `${command} is not installed` };
      return {
        code: typeof error.code === 'number' ? error.code : 1,
        stdout: error.stdout ?? '',
        stderr: error.stderr ?? error.message,
      };
    }
  },
  async write(file, contents, mode) {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFileAtomic(file, contents, mode);
  },
  async delete(file) {
    await rm(file, { force: true });
  },
};

/** Null when the step worked, else why not. */
async function attempt(step: Step, executor: Executor): Promise<string | null> {
  try {
    if (step.kind === 'write') await executor.write(step.path, step.contents, step.mode);
    else if (step.kind === 'delete') await executor.delete(step.path);
    else {
      const result = await executor.run(step.command, step.args);
      if (result.code !== 0) {
        const detail = (result.stderr || result.stdout).trim().split('\n')[0] ?? '';
        return `exit code ${result.code}${detail ? `: ${detail}` : ''}`;
      }
    }
    return null;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? (error as Error).message;
  }
}

function quote(arg: string): string {
  return /^[\w@%+=:,./\\-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`;
}
