// A person on an enrolled Linux device signs in through the device check in a real Firefox (Debian's
// firefox-esr, driven over WebDriver BiDi by puppeteer-core): `latchkey-agent enroll` finds the Firefox
// profile from profiles.ini, imports the device certificate into the profile's own NSS database, and sets
// Firefox's system policy (/etc/firefox/policies/policies.json, merged with what is there) to select the
// client certificate by itself — without it, headless Firefox waits on its certificate dialog. `remove`
// takes out exactly what the agent added.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { FIREFOX_POLICY_DIR } from '../../src/agent/browsers.js';
import { FIREFOX_POLICY_FILE, PERSONAL_CERT_PREFERENCE } from '../../src/agent/firefox.js';
import { listNssCertificates, NSS_NICKNAME } from '../../src/agent/nss.js';
import { describeIfAvailable } from '../helpers/ci.js';
import { startCallbackServer } from '../helpers/chromium.js';
import { firefoxWithPoliciesAvailable, launchFirefox } from '../helpers/firefox.js';
import { relyingParty, type RelyingParty } from '../helpers/rp.js';
import { PASSWORD, startServer, type TestServer } from '../helpers/server.js';
import { adminCli, agentHome, enrollArgs, type AgentHome } from '../integration/device-trust/helpers.js';

const RESULTS_DIR = path.resolve('test-results');
const POLICY_FILE = path.join(FIREFOX_POLICY_DIR, FIREFOX_POLICY_FILE);
/** A policy of the machine's administrator that the agent must keep. */
const ADMIN_POLICIES = { policies: { DisableTelemetry: true, Preferences: { 'browser.startup.page': 1 } } };

describeIfAvailable('signing in from an enrolled device in a real Firefox', firefoxWithPoliciesAvailable(), () => {
  let server: TestServer;
  let callback: Awaited<ReturnType<typeof startCallbackServer>>;
  let rp: RelyingParty;
  let laptop: AgentHome;
  let profile: string;
  let agent: (args: string[]) => ReturnType<AgentHome['run']>;
  let before: string | null;

  beforeAll(async () => {
    mkdirSync(RESULTS_DIR, { recursive: true });
    before = existsSync(POLICY_FILE) ? readFileSync(POLICY_FILE, 'utf8') : null;
    mkdirSync(FIREFOX_POLICY_DIR, { recursive: true });
    writeFileSync(POLICY_FILE, JSON.stringify(ADMIN_POLICIES));
    [server, callback] = await Promise.all([startServer({ cluster: { poll_seconds: 0.2 } }), startCallbackServer()]);
    await server.app.services.deviceTrust.initCa({ actor: 'test' });
    const client = await server.addClient({ name: 'Managed-only app', redirectUri: [callback.redirectUri] });
    rp = await relyingParty(server, client.clientId, client.clientSecret, callback.redirectUri);
    const policies = path.join(server.dataDir, 'policies.yaml');
    writeFileSync(
      policies,
      'default: allow\npolicies:\n  - { name: managed-only, state: enabled, conditions: { device: [unmanaged] }, outcome: deny }\n',
    );
    await adminCli(server, { LATCHKEY_POLICIES: policies })(['policy', 'reload']);
    await server.app.syncCluster();
    await server.addUser('fiona');
    laptop = agentHome();
    // A Firefox profile as Firefox itself lays it out: profiles.ini naming a relative profile directory.
    const root = path.join(laptop.home, '.mozilla', 'firefox');
    profile = path.join(root, 'abcd1234.default-esr');
    mkdirSync(profile, { recursive: true });
    writeFileSync(
      path.join(root, 'profiles.ini'),
      '[Profile0]\nName=default-esr\nIsRelative=1\nPath=abcd1234.default-esr\nDefault=1\n\n[General]\nStartWithLastProfile=1\nVersion=2\n',
    );
    // The real system policy directory, not the home's stand-in.
    agent = (args) => laptop.run(['--firefox-policy-dir', FIREFOX_POLICY_DIR, ...args]);
  });
  afterAll(async () => {
    if (before === null) rmSync(POLICY_FILE, { force: true });
    else writeFileSync(POLICY_FILE, before);
    laptop?.dispose();
    await callback?.close();
    await server?.close();
  });

  it('installs into the Firefox profile, keeps the administrator policies, and signs in by the device', async () => {
    const { token } = await server.app.services.deviceTrust.createEnrollmentToken('fiona', { actor: 'test' });
    const enrolled = await agent(enrollArgs(server, token));
    expect(enrolled.stderr).toBe('');
    expect(enrolled.stdout).toContain(`installed "${NSS_NICKNAME}" into the Firefox profile ${profile}`);
    expect(enrolled.stdout).toContain(`set Firefox to select the client certificate automatically in ${POLICY_FILE}`);
    const names = (await listNssCertificates(profile)).map((entry) => entry.nickname);
    expect(names).toEqual(expect.arrayContaining([NSS_NICKNAME, `${NSS_NICKNAME} Intermediate CA`]));
    const written = JSON.parse(readFileSync(POLICY_FILE, 'utf8')) as typeof ADMIN_POLICIES;
    expect(written.policies).toMatchObject({
      DisableTelemetry: true,
      Preferences: { 'browser.startup.page': 1, [PERSONAL_CERT_PREFERENCE]: { Value: 'Select Automatically' } },
    });

    const browser = await launchFirefox(profile);
    try {
      const page = await browser.newPage();
      const started = await rp.start();
      await page.goto(started.url);
      // The device check passed without a dialog: the password page follows, then the relying party.
      await page.waitForSelector('input[name="password"]', { timeout: 30_000 });
      await page.screenshot({ path: path.join(RESULTS_DIR, 'firefox-device-password.png') });
      // The proven device named its owner: the page says so and fills the username in.
      expect(await page.$eval('input[name="username"]', (input) => (input as HTMLInputElement).value)).toBe('fiona');
      expect(await page.evaluate(() => document.body.innerText)).toContain('This device is enrolled to fiona');
      await page.type('input[name="password"]', PASSWORD);
      // The password field's own form (the page has a cancel form too).
      await page.$eval('input[name="password"]', (input) => (input as HTMLInputElement).form!.requestSubmit());
      // The relying party's callback page is there once its URL is and the page has loaded.
      await page.waitForFunction(
        (uri) => location.href.startsWith(uri) && document.readyState === 'complete',
        {
          timeout: 45_000,
          polling: 200,
        },
        callback.redirectUri,
      );
      await page.screenshot({ path: path.join(RESULTS_DIR, 'firefox-device-done.png') });
      const landed = callback.landed.at(-1)!;
      expect(landed.searchParams.get('error')).toBeNull();
      const claims = (await rp.finish(landed, started)).claims()!;
      expect(claims.acr).toBe('urn:latchkey:acr:device');
      expect(claims.amr).toEqual(expect.arrayContaining(['pop', 'pwd']));
    } finally {
      await browser.close();
    }
    const [check] = await server.app.services.audit.search({ event: 'login.device_certificate' });
    expect(check).toMatchObject({ outcome: 'success' });
  });

  it('removes the certificate from the profile and only its own setting from the policy file', async () => {
    const removed = await agent(['remove']);
    expect(removed.stderr).toBe('');
    expect(removed.stdout).toContain(`removed the device certificate from the Firefox profile ${profile}`);
    const names = (await listNssCertificates(profile)).map((entry) => entry.nickname);
    expect(names.filter((name) => name.startsWith(NSS_NICKNAME))).toEqual([]);
    expect(JSON.parse(readFileSync(POLICY_FILE, 'utf8'))).toEqual(ADMIN_POLICIES);
  });
});
