// The server's process id in the data directory, so `latchkey policy reload` on the same machine can
// signal it (SIGHUP). Each node reloads its own policy file.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export function pidFilePath(dataDir: string): string {
  return path.join(dataDir, 'latchkey.pid');
}

export function writePidFile(dataDir: string): void {
  writeFileSync(pidFilePath(dataDir), `${process.pid}\n`, { mode: 0o644 });
}

export function removePidFile(dataDir: string): void {
  const file = pidFilePath(dataDir);
  try {
    if (readFileSync(file, 'utf8').trim() === String(process.pid)) rmSync(file);
  } catch {
    // Already gone: nothing to clean up.
  }
}

/** The pid of a running server, or undefined when there is no pid file or the process is gone. */
export function runningServerPid(dataDir: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFilePath(dataDir), 'utf8').trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}
