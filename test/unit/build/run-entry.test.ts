// The bins run the compiled build in dist/. In a source checkout they first compare it with the sources
// and refuse, in one line that says what to run, a build that is missing or older; outside a checkout
// (the container image, an installed tarball) they run dist/ as it is. Each case is a small tree made
// here with the real bin/ and scripts/build.js, so the project's own dist/ is never touched.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';

const ENTRIES = ['dist/src/cli/latchkey.js', 'dist/src/cli/latchkey-agent.js', 'dist/src/server/main.js'];
const trees: string[] = [];

/** A tree with the real bins and build script, a source file, and (unless `build` is false) a build. */
function tree(options: { checkout?: boolean; build?: boolean } = {}): string {
  const root = mkdtempSync(path.join(tmpdir(), 'latchkey-run-entry-'));
  trees.push(root);
  const put = (file: string, text: string) => {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  };
  for (const file of ['bin/run-entry.js', 'bin/latchkey.js', 'bin/latchkey-agent.js', 'scripts/build.js']) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    copyFileSync(path.resolve(file), path.join(root, file));
  }
  put('package.json', '{ "type": "module" }\n');
  put('src/cli/latchkey.ts', '// the sources\n');
  if (options.checkout !== false) {
    put('tsconfig.build.json', '{}\n');
    age(root, 'tsconfig.build.json', 120);
  }
  if (options.build !== false) {
    for (const entry of ENTRIES) put(entry, `process.stdout.write('ran ${entry}\\n');\n`);
    put('dist/.build-stamp', 'built\n');
  }
  return root;
}

/** Sets a file's modification time `secondsAgo` in the past. */
function age(root: string, file: string, secondsAgo: number): void {
  const at = new Date(Date.now() - secondsAgo * 1000);
  utimesSync(path.join(root, file), at, at);
}

function run(root: string, bin: string, args: string[] = []) {
  return spawnSync(process.execPath, [path.join(root, bin), ...args], {
    cwd: root,
    env: { PATH: process.env.PATH },
    encoding: 'utf8',
    timeout: 30_000,
  });
}

afterEach(() => {
  for (const root of trees.splice(0)) rmSync(root, { recursive: true, force: true });
});

describe('bin/ in a source checkout', () => {
  it('runs the build when it is newer than every source', () => {
    const root = tree();
    age(root, 'src/cli/latchkey.ts', 60);
    const result = run(root, 'bin/latchkey.js', ['users', 'list']);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('ran dist/src/cli/latchkey.js\n');
    expect(result.status).toBe(0);
  });

  it('refuses a build older than the sources in one line naming the changed file and npm run build', () => {
    const root = tree();
    age(root, 'dist/.build-stamp', 60);
    const result = run(root, 'bin/latchkey.js', ['users', 'list']);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      'latchkey: the build in dist/ is older than src/ (src/cli/latchkey.ts changed) — run npm run build\n',
    );
    expect(result.status).toBe(1);
  });

  it('refuses a missing build, naming the command that makes it', () => {
    const result = run(tree({ build: false }), 'bin/latchkey-agent.js', ['status']);
    expect(result.stderr).toBe('latchkey-agent: there is no build in dist/ — run npm run build\n');
    expect(result.status).toBe(1);
  });

  it('names a changed build setting as the reason too', () => {
    const root = tree();
    age(root, 'src/cli/latchkey.ts', 60);
    age(root, 'dist/.build-stamp', 30);
    writeFileSync(path.join(root, 'tsconfig.build.json'), '{ "changed": true }\n');
    expect(run(root, 'bin/latchkey.js').stderr).toBe(
      'latchkey: the build in dist/ is older than tsconfig.build.json — run npm run build\n',
    );
  });

  it('counts a build whose entry points were deleted as missing, whatever its stamp says', () => {
    const root = tree();
    age(root, 'src/cli/latchkey.ts', 60);
    rmSync(path.join(root, 'dist/src/server/main.js'));
    expect(run(root, 'bin/latchkey.js').stderr).toBe('latchkey: there is no build in dist/ — run npm run build\n');
  });
});

describe('bin/ outside a checkout (container image, installed tarball)', () => {
  it('runs dist/ without comparing it with sources', () => {
    const root = tree({ checkout: false });
    age(root, 'dist/.build-stamp', 60);
    const result = run(root, 'bin/latchkey.js');
    expect(result.stdout).toBe('ran dist/src/cli/latchkey.js\n');
    expect(result.status).toBe(0);
  });
});

describe('scripts/build.js --if-stale (npm start, the test run)', () => {
  it('does nothing when the build is fresh', () => {
    const root = tree();
    age(root, 'src/cli/latchkey.ts', 60);
    const result = run(root, 'scripts/build.js', ['--if-stale']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('says why it builds, and what is missing when TypeScript is not installed', () => {
    const root = tree();
    age(root, 'dist/.build-stamp', 60);
    const result = run(root, 'scripts/build.js', ['--if-stale']);
    expect(result.stderr).toBe(
      'latchkey: the build in dist/ is older than src/ (src/cli/latchkey.ts changed); building it now (npm run build)\n' +
        'latchkey: cannot build: typescript is not installed (run npm install, without --omit=dev)\n',
    );
    expect(result.status).toBe(1);
  });
});
