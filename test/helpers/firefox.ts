// A real Firefox for browser tests: Debian's firefox-esr driven by puppeteer-core over WebDriver BiDi
// (Playwright drives only its own patched Firefox builds). Missing Firefox is installed once through
// scripts/ensure-chromium.sh, as for Chromium; under CI a Firefox that is still missing fails the run.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser } from 'puppeteer-core';
import { type ChromiumAvailability, executable } from './chromium.js';

export const FIREFOX_PATH = process.env.LATCHKEY_FIREFOX ?? '/usr/bin/firefox-esr';
const ENSURE_SCRIPT = fileURLToPath(new URL('../../scripts/ensure-chromium.sh', import.meta.url));

/** Firefox, plus root to write its system policy (/etc/firefox/policies) as the agent does. */
export function firefoxWithPoliciesAvailable(): ChromiumAvailability {
  if (!executable(FIREFOX_PATH)) spawnSync('sh', [ENSURE_SCRIPT], { stdio: 'inherit', timeout: 8 * 60 * 1000 });
  if (!executable(FIREFOX_PATH)) {
    return {
      ok: false,
      reason: `${FIREFOX_PATH} is missing and ${ENSURE_SCRIPT} could not install it (apt-get install firefox-esr)`,
    };
  }
  if (process.getuid?.() !== 0) return { ok: false, reason: 'writing /etc/firefox/policies needs root' };
  return { ok: true };
}

/**
 * Headless Firefox on `profile` (its NSS database holds what the agent installed). The test server's
 * development TLS certificate is accepted; the client certificate is Firefox's own choice.
 */
export function launchFirefox(profile: string): Promise<Browser> {
  return puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX_PATH,
    headless: true,
    userDataDir: profile,
    acceptInsecureCerts: true,
  });
}
