// certmonger, Debian's certificate-enrollment daemon, as a real SCEP client nobody here wrote: its daemon
// builds the pkiMessages (key, CSR with challenge, self-signed or current certificate, AES + SHA-256 from
// GetCACaps), its scep-submit helper sends them and verifies the CertRep, and the daemon decrypts the
// certificate. Each instance runs on a private D-Bus bus that activates no services (a session bus would
// start Debian's certmonger-session on the first getcert, with the machine's state) and keeps its state in
// a temporary directory (Debian's session mode otherwise shares /var/lib/certmonger), so nothing of the
// machine's is touched. Availability, installation and the CI rule: scep-clients.ts.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Availability, availableAfterInstall, onPath } from './scep-clients.js';

const SCEP_SUBMIT_PATHS = ['/usr/lib/certmonger/scep-submit', '/usr/libexec/certmonger/scep-submit'];

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function probe(): Availability<{ scepSubmit: string }> {
  const scepSubmit = SCEP_SUBMIT_PATHS.find(executable);
  const missing = [
    ...(onPath('certmonger') || executable('/usr/sbin/certmonger') ? [] : ['certmonger']),
    ...(onPath('getcert') ? [] : ['getcert']),
    ...(scepSubmit ? [] : ['scep-submit']),
    ...(onPath('dbus-daemon') ? [] : ['dbus-daemon']),
  ];
  if (missing.length === 0) return { ok: true, scepSubmit: scepSubmit! };
  return { ok: false, reason: `missing ${missing.join(', ')} (apt-get install certmonger dbus)` };
}

/** Whether certmonger can be driven (installing it once when it cannot). */
export function certmongerAvailable(): Availability<{ scepSubmit: string }> {
  return availableAfterInstall(probe);
}

export interface CommandResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** A running certmonger with its own bus and home. */
export interface Certmonger {
  home: string;
  /** Runs `getcert <args> -s` (asynchronously: the server under test lives in this process). */
  getcert(args: readonly string[]): Promise<CommandResult>;
  /** Runs scep-submit directly. */
  scepSubmit(args: readonly string[]): Promise<CommandResult>;
  /** A file path under the home. */
  file(name: string): string;
  read(name: string): string;
  /** Waits until request `id` reaches one of `states` (getcert list status), or fails after `timeoutMs`. */
  waitFor(id: string, states: readonly string[], timeoutMs?: number): Promise<Record<string, string>>;
  stop(): Promise<void>;
}

/** Starts dbus-daemon (session, private socket) and certmonger on it, in a fresh temporary home. */
export async function startCertmonger(scepSubmit: string): Promise<Certmonger> {
  const home = mkdtempSync(path.join(tmpdir(), 'latchkey-certmonger-'));
  mkdirSync(path.join(home, 'run'), { mode: 0o700 });
  const socket = path.join(home, 'bus');
  const state = (name: string) => {
    const dir = path.join(home, 'state', name);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return dir;
  };
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    XDG_RUNTIME_DIR: path.join(home, 'run'),
    DBUS_SESSION_BUS_ADDRESS: `unix:path=${socket}`,
    CERTMONGER_CONFIG_DIR: state('config'),
    CERTMONGER_REQUESTS_DIR: state('requests'),
    CERTMONGER_CAS_DIR: state('cas'),
    CERTMONGER_LOCAL_CA_DIR: state('local'),
    CERTMONGER_TMPDIR: state('tmp'),
    CERTMONGER_SYSTEM_LOCK_FILE: path.join(home, 'state', 'lock'),
  };
  const busConfig = path.join(home, 'bus.conf');
  writeFileSync(busConfig, busConfiguration(socket));
  const children: ChildProcess[] = [];
  const bus = spawn('dbus-daemon', ['--nofork', '--nopidfile', `--config-file=${busConfig}`], {
    env,
    stdio: 'ignore',
  });
  children.push(bus);
  await waitUntil(() => exists(socket), 10_000, 'dbus-daemon did not create its socket');
  // -n: stay in the foreground (so it is ours to stop), -B: no idle exit, -s: the session bus.
  const daemon = spawn('certmonger', ['-s', '-n', '-B'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(daemon);
  let daemonLog = '';
  daemon.stderr?.on('data', (chunk: Buffer) => (daemonLog += chunk.toString()));
  const run = (file: string, args: readonly string[]) =>
    new Promise<CommandResult>((resolve) => {
      execFile(file, args, { env, encoding: 'utf8', timeout: 120_000 }, (error, stdout, stderr) => {
        const status = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ status, stdout, stderr });
      });
    });
  const getcert = (args: readonly string[]) => run('getcert', [...args, '-s']);
  // certmonger takes a moment to claim its bus name; getcert fails until it has.
  await waitUntil(
    async () => (await getcert(['list-cas'])).status === 0,
    15_000,
    () => `certmonger did not start: ${daemonLog}`,
  );
  const list = async (id: string): Promise<Record<string, string>> => {
    const { stdout } = await getcert(['list', '-i', id]);
    return Object.fromEntries(
      [...stdout.matchAll(/^\t([a-z -]+): (.*)$/gm)].map((match) => [match[1]!.trim(), match[2]!.trim()]),
    );
  };
  return {
    home,
    getcert,
    scepSubmit: (args) => run(scepSubmit, args),
    file: (name) => path.join(home, name),
    read: (name) => readFileSync(path.join(home, name), 'utf8'),
    async waitFor(id, states, timeoutMs = 90_000) {
      let last: Record<string, string> = {};
      await waitUntil(
        async () => {
          last = await list(id);
          return states.includes(last.status ?? '');
        },
        timeoutMs,
        () => `request ${id} stayed ${JSON.stringify(last)}`,
      );
      return last;
    },
    async stop() {
      for (const child of children.reverse()) {
        if (child.exitCode === null && child.pid !== undefined) {
          let timer: NodeJS.Timeout | undefined;
          const exited = new Promise((resolve) => child.once('exit', resolve));
          child.kill('SIGTERM');
          await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, 5000)))]);
          clearTimeout(timer);
        }
      }
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** A session-type bus on `socket` that lets anyone talk and own names, and activates no services. */
function busConfiguration(socket: string): string {
  return `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=${socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`;
}

function exists(file: string): boolean {
  try {
    accessSync(file);
    return true;
  } catch {
    return false;
  }
}

async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  failure: string | (() => string),
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(typeof failure === 'string' ? failure : failure());
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
