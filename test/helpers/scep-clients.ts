// The foreign SCEP clients the interoperability tests drive (certmonger, micromdm's scepclient): whether
// they are here, one attempt to install them with scripts/ensure-scep-clients.sh when not, and the rule
// that under CI (CI=true or LATCHKEY_CI=1) a missing client fails the run instead of skipping its test.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ENSURE_SCRIPT = fileURLToPath(new URL('../../scripts/ensure-scep-clients.sh', import.meta.url));

export type Availability<T extends object = object> = ({ ok: true } & T) | { ok: false; reason: string };

let installAttempted = false;

/** `probe()`, after running ensure-scep-clients.sh once per process if the first probe failed. */
export function availableAfterInstall<T extends object>(probe: () => Availability<T>): Availability<T> {
  const first = probe();
  if (first.ok || installAttempted) return first;
  installAttempted = true;
  spawnSync('sh', [ENSURE_SCRIPT], { stdio: 'inherit', timeout: 8 * 60 * 1000 });
  return probe();
}

/** True when a missing tool must fail the run (CI), not skip. */
export function strictTools(): boolean {
  return process.env.CI === 'true' || process.env.LATCHKEY_CI === '1';
}

/** True when `command` is on PATH. */
export function onPath(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** micromdm's scepclient (Debian package "scep"). */
export function scepclientAvailable(): Availability {
  return availableAfterInstall(() =>
    onPath('scepclient') ? { ok: true } : { ok: false, reason: 'missing scepclient (apt-get install scep)' },
  );
}
