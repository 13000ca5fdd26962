// Runs once before the test files. Tests that spawn the CLI or the server run bin/, which runs the build
// in dist/: bring it up to date with the sources being tested (incremental, a few seconds), so a test run
// after editing src/ never tests yesterday's build.
import { build, buildState } from '../../scripts/build.js';

export default function globalSetup() {
  const state = buildState();
  if (!state.fresh) {
    process.stderr.write(`\nlatchkey: ${state.problem}; building it for the tests that run bin/\n`);
    if (!build()) throw new Error('the TypeScript build failed (errors above): fix it, or run npm run build');
  }
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 22) {
    process.stderr.write(
      `\nNode ${process.version}: oidc-provider's "Unsupported runtime" warning is hidden in this run (once per test file otherwise)\n`,
    );
  }
}
