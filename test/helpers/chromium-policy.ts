// The Chromium managed policy the browser tests share. Chromium takes a policy from one file only: when two
// files in /etc/chromium/policies/managed both set AutoSelectCertificateForUrls (two browser test files
// running in parallel, each with its own server), one file's list wins, the other test's browser gets a
// certificate picker and headless Chromium hangs. So every test adds its rules to one shared file, under a
// lock, and removes them when it ends.
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_CHROME_POLICY_DIR, type ChromePolicy } from '../../src/agent/chrome-policy.js';

const SHARED_FILE = path.join(DEFAULT_CHROME_POLICY_DIR, 'latchkey-tests.json');
const LOCK = `${SHARED_FILE}.lock`;
/** A lock older than this was left by a run that died: taken over. */
const STALE_LOCK_MS = 30_000;

/**
 * Adds the AutoSelectCertificateForUrls rules of the agent's policy file `agentPolicyFile` to the shared
 * policy; the returned function removes them again (call it in afterAll).
 */
export async function shareAutoSelectRules(agentPolicyFile: string): Promise<() => Promise<void>> {
  const rules = (JSON.parse(readFileSync(agentPolicyFile, 'utf8')) as ChromePolicy).AutoSelectCertificateForUrls;
  await locked(() => write([...new Set([...read(), ...rules])]));
  return () => locked(() => write(read().filter((rule) => !rules.includes(rule))));
}

/** The rules in force now (for tests that check what the browser was given). */
export function sharedAutoSelectRules(): string[] {
  return read();
}

function read(): string[] {
  try {
    return (JSON.parse(readFileSync(SHARED_FILE, 'utf8')) as ChromePolicy).AutoSelectCertificateForUrls ?? [];
  } catch {
    return [];
  }
}

/** Writes through a rename, so a browser reading the directory never sees half a file. */
function write(rules: string[]): void {
  if (rules.length === 0) {
    rmSync(SHARED_FILE, { force: true });
    return;
  }
  mkdirSync(DEFAULT_CHROME_POLICY_DIR, { recursive: true });
  const temporary = `${SHARED_FILE}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify({ AutoSelectCertificateForUrls: rules }), { mode: 0o644 });
  renameSync(temporary, SHARED_FILE);
}

/** Runs `work` holding the lock (a directory: mkdir is atomic), across the test workers. */
async function locked(work: () => void): Promise<void> {
  mkdirSync(DEFAULT_CHROME_POLICY_DIR, { recursive: true });
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (Date.now() - lockedAt() > STALE_LOCK_MS) rmSync(LOCK, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`the Chromium policy lock ${LOCK} stays taken`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
  try {
    work();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

function lockedAt(): number {
  try {
    return statSync(LOCK).mtimeMs;
  } catch {
    return Date.now();
  }
}
