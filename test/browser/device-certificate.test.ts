// A person on an enrolled device signs in through the device check in a real Chromium: the profile's NSS
// database was filled by `latchkey-agent enroll`, and the AutoSelectCertificateForUrls policy the agent
// writes is installed where Debian's Chromium reads managed policies, so the certificate is chosen without
// a picker (headless Chromium would hang on one). The same profile without the certificate is refused at
// the relying party with a reason.
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { Browser } from 'playwright-core';
import { CHROME_POLICY_FILE } from '../../src/agent/chrome-policy.js';
import { shareAutoSelectRules, sharedAutoSelectRules } from '../helpers/chromium-policy.js';
import { loadAgentState } from '../../src/agent/state.js';
import { describeIfAvailable } from '../helpers/ci.js';
import {
  chromiumWithPoliciesAvailable,
  launchChromium,
  newTestContext,
  startCallbackServer,
} from '../helpers/chromium.js';
import { relyingParty, type RelyingParty } from '../helpers/rp.js';
import { PASSWORD, startServer, type TestServer } from '../helpers/server.js';
import { adminCli, agentHome, enrollArgs, type AgentHome } from '../integration/device-trust/helpers.js';

const RESULTS_DIR = path.resolve('test-results');
/** A name of our own in Chromium's policy directory, removed afterwards: other runs may share the machine. */
/** Removes this file's rules from the shared Chromium policy (set in beforeAll). */
let unsharePolicy: (() => Promise<void>) | undefined;

describeIfAvailable('signing in from an enrolled device in a real browser', chromiumWithPoliciesAvailable(), () => {
  let server: TestServer;
  let callback: Awaited<ReturnType<typeof startCallbackServer>>;
  let rp: RelyingParty;
  let laptop: AgentHome;

  beforeAll(async () => {
    mkdirSync(RESULTS_DIR, { recursive: true });
    [server, callback] = await Promise.all([startServer({ cluster: { poll_seconds: 0.2 } }), startCallbackServer()]);
    await server.app.services.deviceTrust.initCa({ actor: 'test' });
    const client = await server.addClient({ name: 'Managed-only app', redirectUri: [callback.redirectUri] });
    rp = await relyingParty(server, client.clientId, client.clientSecret, callback.redirectUri);
    const policies = path.join(server.dataDir, 'policies.yaml');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(
      policies,
      `default: allow\npolicies:\n  - { name: managed-only, description: "Only company devices may sign in.", state: enabled, conditions: { device: [unmanaged] }, outcome: deny }\n`,
    );
    await adminCli(server, { LATCHKEY_POLICIES: policies })(['policy', 'reload']);
    await server.app.syncCluster();
    await server.addUser('dana');
    laptop = agentHome();
    const { token } = await server.app.services.deviceTrust.createEnrollmentToken('dana', { actor: 'test' });
    const enrolled = await laptop.run(enrollArgs(server, token));
    expect(enrolled.stderr).toBe('');
    // The policy the agent wrote, installed where Chromium reads managed policies.
    unsharePolicy = await shareAutoSelectRules(path.join(laptop.policyDir, CHROME_POLICY_FILE));
  });
  afterAll(async () => {
    await unsharePolicy?.();
    laptop?.dispose();
    await callback?.close();
    await server?.close();
  });

  async function signIn(browser: Browser, fillPassword: boolean): Promise<URL> {
    const context = await newTestContext(browser);
    try {
      const page = await context.newPage();
      const started = await rp.start();
      await page.goto(started.url);
      if (fillPassword) {
        await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor({ timeout: 20_000 });
        await page.screenshot({ path: path.join(RESULTS_DIR, 'browser-device-password.png') });
        await page.getByLabel('Username or email', { exact: true }).fill('dana');
        await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
        await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      }
      await page.waitForURL((url) => url.toString().startsWith(callback.redirectUri), { timeout: 20_000 });
      await page.screenshot({
        path: path.join(RESULTS_DIR, `browser-device-${fillPassword ? 'done' : 'refused'}.png`),
      });
      const landed = callback.landed.at(-1)!;
      if (fillPassword && !landed.searchParams.get('error')) {
        const claims = (await rp.finish(landed, started)).claims()!;
        expect(claims.amr).toEqual(expect.arrayContaining(['pop', 'swk', 'pwd', 'mfa']));
        expect(claims.acr).toBe('urn:latchkey:acr:device');
      }
      return landed;
    } finally {
      await context.close();
    }
  }

  it('picks the device certificate by itself, proves the device, then asks for the password', async () => {
    const state = (await loadAgentState(laptop.stateDir))!;
    expect(sharedAutoSelectRules().join('\n')).toContain(new URL(server.deviceCheckUrl).origin);
    const browser = await launchChromium({ home: laptop.home });
    try {
      const landed = await signIn(browser, true);
      expect(landed.searchParams.get('error')).toBeNull();
    } finally {
      await browser.close();
    }
    const [check] = await server.app.services.audit.search({ event: 'login.device_certificate' });
    expect(check).toMatchObject({ outcome: 'success', deviceId: state.deviceId });
    const [complete] = await server.app.services.audit.search({ event: 'login.complete' });
    expect(complete).toMatchObject({ outcome: 'success', deviceId: state.deviceId });
  });

  it('refuses the same profile once the certificate is gone, at the relying party, with a reason', async () => {
    const removed = await laptop.run(['remove']);
    expect(removed.status).toBe(0);
    expect(existsSync(path.join(laptop.nssDir, 'cert9.db'))).toBe(true);
    const browser = await launchChromium({ home: laptop.home });
    try {
      const landed = await signIn(browser, false);
      expect(landed.searchParams.get('error')).toBe('access_denied');
      expect(landed.searchParams.get('error_description')).toBe(
        'Only company devices may sign in. No device certificate was presented: this browser is not on a device enrolled with Latchkey.',
      );
    } finally {
      await browser.close();
    }
  });
});
