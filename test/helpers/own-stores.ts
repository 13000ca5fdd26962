// A Redis and a PostgreSQL that a fault test starts itself on spare ports, so it can kill, stall
// (SIGSTOP) and restart them without touching the shared servers. Signals go to the server's whole process
// tree (PostgreSQL's backends too), found by pid. Always `dispose()` them.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface OwnStore {
  url: string;
  /** SIGKILL the whole server (data kept on disk for PostgreSQL, lost for Redis). */
  kill(): Promise<void>;
  /** Start it again on the same port. */
  restart(): Promise<void>;
  /** SIGSTOP: the server keeps its sockets open but answers nothing. */
  pause(): void;
  /** SIGCONT after pause(). */
  resume(): void;
  dispose(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

async function waitForPort(port: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on port ${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once('exit', () => resolve()));
}

/** `pid` and every process below it (PostgreSQL's backends start sessions of their own, so no group signal reaches them). */
function processTree(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The stat line is "pid (comm) state ppid ...": comm may contain spaces, so split after the last ")".
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
    } catch {
      // The process ended while we looked.
    }
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i += 1) tree.push(...(parents.get(tree[i]!) ?? []));
  return tree;
}

function signalTree(child: ChildProcess | undefined, signal: NodeJS.Signals): void {
  if (!child?.pid) return;
  for (const pid of processTree(child.pid)) {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }
}

/** A server process in its own group, managed by pid. */
class OwnServer implements OwnStore {
  #child: ChildProcess | undefined;

  constructor(
    readonly url: string,
    private readonly port: number,
    private readonly launch: () => ChildProcess,
    private readonly cleanup: () => void = () => {},
  ) {}

  async restart(): Promise<void> {
    this.#child = this.launch();
    await waitForPort(this.port);
  }

  async kill(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    signalTree(child, 'SIGCONT');
    signalTree(child, 'SIGKILL');
    await exited(child);
    this.#child = undefined;
  }

  pause(): void {
    signalTree(this.#child, 'SIGSTOP');
  }

  resume(): void {
    signalTree(this.#child, 'SIGCONT');
  }

  async dispose(): Promise<void> {
    await this.kill();
    this.cleanup();
  }
}

async function started(server: OwnServer): Promise<OwnStore> {
  await server.restart();
  return server;
}

/** A throw-away Redis on a spare port, keeping nothing on disk. */
export async function startOwnRedis(): Promise<OwnStore> {
  const port = await freePort();
  const launch = () =>
    spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'],
      { detached: true, stdio: 'ignore' },
    );
  return started(new OwnServer(`redis://127.0.0.1:${port}`, port, launch));
}

function postgresBin(name: string): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).sort().reverse() : [];
  const found = versions.map((v) => path.join(root, v, 'bin', name)).find((file) => existsSync(file));
  if (!found) throw new Error(`PostgreSQL's ${name} was not found under ${root}`);
  return found;
}

/** Runs `command` as the postgres user when we are root (PostgreSQL refuses to run as root). */
function asPostgres(command: string, args: string[]): [string, string[]] {
  if (process.getuid?.() !== 0) return [command, args];
  return ['setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', command, ...args]];
}

/** A throw-away PostgreSQL cluster (trust auth, database postgres) on a spare port. */
export async function startOwnPostgres(): Promise<OwnStore> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'latchkey-pg-'));
  if (process.getuid?.() === 0) {
    const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
    chownSync(dir, id('-u'), id('-g'));
  }
  const data = path.join(dir, 'data');
  const [initCommand, initArgs] = asPostgres(postgresBin('initdb'), [
    '-D',
    data,
    '-A',
    'trust',
    '-U',
    'postgres',
    '--no-sync',
  ]);
  const init = spawnSync(initCommand, initArgs, { encoding: 'utf8', timeout: 60_000 });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
  const launch = () => {
    const [command, args] = asPostgres(postgresBin('postgres'), [
      '-D',
      data,
      '-p',
      String(port),
      '-k',
      dir,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'fsync=off',
    ]);
    return spawn(command, args, { detached: true, stdio: 'ignore' });
  };
  return started(
    new OwnServer(`postgres://postgres@127.0.0.1:${port}/postgres`, port, launch, () =>
      rmSync(dir, { recursive: true, force: true }),
    ),
  );
}
