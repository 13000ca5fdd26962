// The TypeScript build (src/ and migrations/ -> dist/) and the one question every entry point asks first:
// is dist/ there and newer than the sources? Plain JavaScript, because it runs before anything is built.
//   node scripts/build.js             build (npm run build, and `prepare` on npm install / npm ci)
//   node scripts/build.js --if-stale  build only when dist/ is missing or older than the sources
//                                     (prestart, and the test run's global setup)
// After tsc succeeds it writes dist/.build-stamp with the time the build *started*, so a source saved
// while tsc was running still counts as newer than the build.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const STAMP = path.join('dist', '.build-stamp');
const LOCK = path.join('dist', '.build-lock');
const SOURCE_DIRS = ['src', 'migrations'];
const SOURCE_FILES = ['tsconfig.json', 'tsconfig.build.json'];
const LOCK_STALE_MS = 5 * 60_000;
/** What the bins and npm start run: without these there is no usable build, whatever the stamp says. */
const ENTRY_POINTS = ['dist/src/server/main.js', 'dist/src/cli/latchkey.js', 'dist/src/cli/latchkey-agent.js'];
const BUILD_INFO = path.join('dist', '.tsbuildinfo');

/** True in a source checkout (tsconfig.build.json beside package.json); false in the image or a tarball. */
export function isSourceCheckout(root = ROOT) {
  return existsSync(path.join(root, 'tsconfig.build.json'));
}

/**
 * Whether dist/ can run: `{ fresh: true }`, or `{ fresh: false, problem }` where problem is one line
 * saying what is wrong (no build, or which source is newer than it).
 */
export function buildState(root = ROOT) {
  const stamp = mtime(path.join(root, STAMP));
  if (stamp === undefined || ENTRY_POINTS.some((file) => !existsSync(path.join(root, file)))) {
    return { fresh: false, problem: 'there is no build in dist/', missing: true };
  }
  const newer = newestSource(root);
  if (newer && newer.mtimeMs > stamp) {
    const [top, ...rest] = newer.file.split(path.sep);
    const than = rest.length ? `${top}/ (${newer.file.split(path.sep).join('/')} changed)` : newer.file;
    return { fresh: false, problem: `the build in dist/ is older than ${than}`, missing: false };
  }
  return { fresh: true };
}

function newestSource(root) {
  let newest;
  const consider = (relative) => {
    const at = mtime(path.join(root, relative));
    if (at !== undefined && (!newest || at > newest.mtimeMs)) newest = { file: relative, mtimeMs: at };
  };
  for (const file of SOURCE_FILES) consider(file);
  for (const dir of SOURCE_DIRS) {
    if (!existsSync(path.join(root, dir))) continue;
    for (const entry of readdirSync(path.join(root, dir), { recursive: true, withFileTypes: true })) {
      if (entry.isFile() && entry.name.endsWith('.ts')) {
        consider(path.relative(root, path.join(entry.parentPath ?? entry.path, entry.name)));
      }
    }
  }
  return newest;
}

function mtime(file) {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

/** Runs tsc -p tsconfig.build.json (incremental); returns false after printing why it failed. */
export function build(root = ROOT, say = (line) => process.stderr.write(`${line}\n`)) {
  let tsc;
  try {
    tsc = createRequire(path.join(root, 'package.json')).resolve('typescript/bin/tsc');
  } catch {
    say('latchkey: cannot build: typescript is not installed (run npm install, without --omit=dev)');
    return false;
  }
  return withLock(root, say, () => {
    // tsc's incremental state would skip files it believes emitted: after a partial removal of dist/,
    // build everything again.
    if (buildState(root).missing) rmSync(path.join(root, BUILD_INFO), { force: true });
    const startedAt = new Date();
    const result = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], {
      cwd: root,
      stdio: 'inherit',
    });
    if (result.status !== 0) {
      say('latchkey: the TypeScript build failed (errors above); dist/ was not updated');
      return false;
    }
    const stamp = path.join(root, STAMP);
    writeFileSync(stamp, `${startedAt.toISOString()}\n`);
    utimesSync(stamp, startedAt, startedAt);
    return true;
  });
}

/**
 * One build at a time per tree: `npm start` and a test run started together must not both write dist/.
 * The loser waits for the winner, then finds the build fresh and has nothing to do.
 */
function withLock(root, say, work) {
  const lock = path.join(root, LOCK);
  mkdirSync(path.dirname(lock), { recursive: true });
  for (let said = false; ;) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      const age = Date.now() - (mtime(lock) ?? Date.now());
      if (age > LOCK_STALE_MS) {
        rmSync(lock, { recursive: true, force: true }); // left by a build that was killed
        continue;
      }
      if (!said) say('latchkey: another build of dist/ is running; waiting for it');
      said = true;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 250);
      if (!existsSync(lock) && buildState(root).fresh) return true;
    }
  }
  try {
    return work();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function main(args) {
  const unknown = args.filter((a) => a !== '--if-stale');
  if (unknown.length) {
    process.stderr.write(`usage: node scripts/build.js [--if-stale] (unknown: ${unknown.join(' ')})\n`);
    return 2;
  }
  if (args.includes('--if-stale')) {
    const state = buildState();
    if (state.fresh) return 0;
    process.stderr.write(`latchkey: ${state.problem}; building it now (npm run build)\n`);
  }
  return build() ? 0 : 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
