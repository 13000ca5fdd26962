// Tests that need a tool the machine may lack (Chromium, NSS tools) skip with a reason on a developer's
// machine, but under CI (CI=true, or LATCHKEY_CI=1 as .ci/run sets) a missing tool fails the run: a
// skipped browser test would hide exactly what CI is there to check.
import { describe, it } from '@jest/globals';

export const IN_CI = process.env.CI === 'true' || process.env.LATCHKEY_CI === '1';

/** `describe` when `available`; otherwise a skipped block naming `reason`, or under CI a failing test. */
export function describeIfAvailable(
  name: string,
  availability: { ok: true } | { ok: false; reason: string },
  body: () => void,
): void {
  if (availability.ok) return describe(name, body);
  if (IN_CI) {
    return describe(name, () => {
      it('has what it needs under CI', () => {
        throw new Error(`required under CI but unavailable: ${availability.reason}`);
      });
    });
  }
  console.warn(`SKIPPED "${name}": ${availability.reason}`);
  describe.skip(`${name} (skipped: ${availability.reason})`, body);
}
