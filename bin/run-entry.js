// Runs one of Latchkey's entry points from the compiled build in dist/ (built by `npm install` through the
// `prepare` script, by `npm run build`, and by `npm start` when needed). Plain JavaScript so that a command
// starts without transpiling anything.
//
// In a source checkout a build older than src/ is refused with one line, not rebuilt on the spot: the CLIs
// are often run as another user than the checkout's owner (sudo, a service account), whose rebuild would
// leave files in dist/ the owner cannot replace; scripts and cron jobs that run several commands at once
// would each start a 10-second build; and quietly running the old build would act on code that is no
// longer in src/. `npm start` (the developer's loop) and the test run rebuild by themselves instead.
// Outside a checkout (the container image, an installed tarball) there is nothing to compare and
// dist/ is simply run.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export async function runEntry(relative, command) {
  if (existsSync(path.join(ROOT, 'tsconfig.build.json'))) {
    const { buildState } = await import('../scripts/build.js');
    const state = buildState(ROOT);
    if (!state.fresh) {
      process.stderr.write(`${command}: ${state.problem} — run npm run build\n`);
      process.exit(1);
    }
  }
  await import(new URL(`../dist/src/${relative}.js`, import.meta.url).href);
}
