// A server under test in a process of its own, started as production starts it: NODE_ENV=production,
// its output (JSON logs at info) appended to a file, and its CPU time and memory read from /proc, so
// that what the load generator spends is never counted as the server's.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { Agent, fetch as undiciFetch } from 'undici';
import { PACKAGE_ROOT } from '../../src/config/load.js';

export interface ServerProcess {
  name: string;
  pid: number;
  logFile: string;
  /** utime + stime of the process (all its threads: argon2 and libuv's pool included), in seconds. */
  cpuSeconds(): number;
  /** Resident set size now, in bytes. */
  rssBytes(): number;
  stop(): Promise<void>;
}

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** Spawns `args` under node and waits until `readyUrl` answers 200 (trusting `ca`). */
export async function startServerProcess(options: {
  name: string;
  args: string[];
  env: Record<string, string>;
  logFile: string;
  readyUrl: string;
  ca: string;
}): Promise<ServerProcess> {
  const out = openSync(options.logFile, 'a');
  const child = spawn(process.execPath, options.args, {
    cwd: PACKAGE_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_ENV: 'production', ...options.env },
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await waitUntilReady(options.readyUrl, options.ca, exited, options.logFile);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  const pid = child.pid!;
  return {
    name: options.name,
    pid,
    logFile: options.logFile,
    cpuSeconds: () => cpuSecondsOf(pid),
    rssBytes: () => rssOf(pid),
    stop: () => stop(child, exited),
  };
}

async function waitUntilReady(url: string, ca: string, exited: Promise<number | null>, logFile: string): Promise<void> {
  const agent = new Agent({ connect: { ca } });
  let gone = false;
  void exited.then(() => (gone = true));
  try {
    for (const deadline = Date.now() + 60_000; Date.now() < deadline;) {
      if (gone) throw new Error(`the server exited during start-up; see ${logFile}`);
      const status = await undiciFetch(url, { dispatcher: agent }).then(
        (r) => r.arrayBuffer().then(() => r.status),
        () => 0,
      );
      if (status === 200) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`the server did not answer ${url} within 60 s; see ${logFile}`);
  } finally {
    await agent.close();
  }
}

/** SIGTERM (graceful shutdown, as an orchestrator stops it), SIGKILL after 15 s. */
async function stop(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

/** Fields 14 and 15 of /proc/<pid>/stat (after the parenthesised command name, which may hold spaces). */
export function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): utime is field 14, stime field 15.
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

export function rssOf(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : 0;
}
