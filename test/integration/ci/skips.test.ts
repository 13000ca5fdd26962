// A browser test that cannot run is skipped with a reason on a developer's machine, and fails the run
// under CI: run the real browser test file in a child jest with Chromium pointed at a missing path.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from '@jest/globals';

function runBrowserTests(env: Record<string, string>): { status: number | null; output: string } {
  const result = spawnSync(
    process.execPath,
    ['--experimental-vm-modules', '--no-warnings', 'node_modules/jest/bin/jest.js', 'test/browser/signin.test.ts'],
    {
      encoding: 'utf8',
      timeout: 120_000,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, LATCHKEY_CHROMIUM: '/nonexistent/chromium', ...env },
    },
  );
  return { status: result.status, output: result.stdout + result.stderr };
}

describe('tests that need Chromium', () => {
  it('skip with the reason when Chromium is missing outside CI', () => {
    const { status, output } = runBrowserTests({});
    expect(status).toBe(0);
    expect(output).toMatch(/SKIPPED "signing in with a real browser": \/nonexistent\/chromium is missing/);
    expect(output).toMatch(/0 passed, 0 failed, \d+ skipped/);
  });

  it('fail the run when Chromium is missing under CI', () => {
    const { status, output } = runBrowserTests({ CI: 'true' });
    expect(status).toBe(1);
    expect(output).toContain('required under CI but unavailable: /nonexistent/chromium is missing');
  });
});
