// A real Chromium for browser tests: Debian's package driven by playwright-core (Playwright's own browser
// download cannot reach its servers here). When Chromium is missing, scripts/ensure-chromium.sh is tried
// once; if that cannot install it, callers skip their tests and say why.
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { fileURLToPath } from 'node:url';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type BrowserContext, type CDPSession, type Page } from 'playwright-core';
import { DEFAULT_CHROME_POLICY_DIR } from '../../src/agent/chrome-policy.js';

/** Debian's Chromium; LATCHKEY_CHROMIUM points elsewhere (another distribution's path, or a missing one to try the skip). */
export const CHROMIUM_PATH = process.env.LATCHKEY_CHROMIUM ?? '/usr/bin/chromium';

const ENSURE_SCRIPT = fileURLToPath(new URL('../../scripts/ensure-chromium.sh', import.meta.url));
const INSTALL_TIMEOUT_MS = 8 * 60 * 1000;

export type ChromiumAvailability = { ok: true } | { ok: false; reason: string };

/** Whether `file` exists and may be run. */
export function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

let installAttempted = false;

/** Whether Chromium can be launched; runs ensure-chromium.sh (at most once per process) when it is missing. */
export function chromiumAvailable(): ChromiumAvailability {
  if (executable(CHROMIUM_PATH)) return { ok: true };
  if (!installAttempted) {
    installAttempted = true;
    const run = spawnSync('sh', [ENSURE_SCRIPT], { stdio: 'inherit', timeout: INSTALL_TIMEOUT_MS });
    if (run.error)
      return {
        ok: false,
        reason: `${CHROMIUM_PATH} is missing and ${ENSURE_SCRIPT} failed to run: ${run.error.message}`,
      };
  }
  if (executable(CHROMIUM_PATH)) return { ok: true };
  return {
    ok: false,
    reason: `${CHROMIUM_PATH} is missing and ${ENSURE_SCRIPT} could not install it (needs root and apt-get: apt-get install chromium libnss3-tools)`,
  };
}

/**
 * Chromium, plus the right to install a managed policy where Debian's Chromium reads them (the agent's
 * AutoSelectCertificateForUrls, so the device certificate is chosen without a picker): that needs root.
 */
export function chromiumWithPoliciesAvailable(): ChromiumAvailability {
  const chromium = chromiumAvailable();
  if (!chromium.ok) return chromium;
  if (process.getuid?.() !== 0) return { ok: false, reason: `writing ${DEFAULT_CHROME_POLICY_DIR} needs root` };
  return { ok: true };
}

export interface VirtualAuthenticator {
  cdp: CDPSession;
  authenticatorId: string;
}

/**
 * Adds a CDP virtual authenticator to `page` (ctap2, resident keys; a platform one by default, `usb` for a
 * security key); `verifies` false makes one without user verification, and `present` false one that waits
 * (no automatic user presence).
 */
export async function virtualAuthenticator(
  page: Page,
  verifies = true,
  present = true,
  transport: 'internal' | 'usb' = 'internal',
): Promise<VirtualAuthenticator> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport,
      hasResidentKey: true,
      hasUserVerification: verifies,
      isUserVerified: verifies,
      automaticPresenceSimulation: present,
    },
  });
  return { cdp, authenticatorId };
}

/**
 * Launches headless Chromium with a fresh profile and no background traffic. `home` sets HOME, where
 * Chromium on Linux finds the user's NSS database (client certificates) in .pki/nssdb.
 */
export function launchChromium(options: { home?: string } = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    ...(options.home ? { env: { ...process.env, HOME: options.home } } : {}),
    args: [
      '--headless',
      // Tests run as root in a container, where Chromium's sandbox cannot start.
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
    ],
  });
}

/**
 * A browser context for a test server. The server presents a self-signed development certificate made at
 * test start; trusting it in the profile's NSS store would test nothing more about Latchkey, so this
 * context ignores certificate errors. Only for tests against that development certificate.
 */
export function newTestContext(browser: Browser): Promise<BrowserContext> {
  return browser.newContext({ ignoreHTTPSErrors: true, locale: 'en-US', viewport: { width: 1280, height: 800 } });
}

/** The relying party's callback: a plain HTTP loopback server that records where the browser landed. */
export async function startCallbackServer(): Promise<{ redirectUri: string; landed: URL[]; close(): Promise<void> }> {
  const landed: URL[] = [];
  const server = http.createServer((req, res) => {
    const { port } = server.address() as AddressInfo;
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    // Chromium also asks for /favicon.ico: only the callback counts.
    if (url.pathname !== '/callback') return void res.writeHead(404).end();
    landed.push(url);
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><html lang="en"><title>RP</title><p>signed in</p></html>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    redirectUri: `http://127.0.0.1:${port}/callback`,
    landed,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * Collects console errors and uncaught exceptions on the IdP's pages (CSP violations arrive as console
 * errors). Chromium fetches /favicon.ico on its own and Latchkey serves none: that 404 is not a page's doing.
 */
export function watchForErrors(page: Page, issuer: string): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() !== 'error' || !page.url().startsWith(issuer)) return;
    const resource = message.location().url;
    if (resource === `${issuer}/favicon.ico`) return;
    errors.push(`${page.url()}: ${message.text()}${resource ? ` [${resource}]` : ''}`);
  });
  page.on('pageerror', (error) => errors.push(`${page.url()}: ${error.message}`));
  page.on('requestfailed', (request) => {
    if (request.url().startsWith(issuer))
      errors.push(`request failed ${request.url()}: ${request.failure()?.errorText ?? ''}`);
  });
  return errors;
}
