// Okta sends a person to Latchkey to prove the device, in a real Chromium, with the emulated Okta acting on
// the wire (its org served over HTTPS on a *.localhost host, which Chromium resolves to loopback; its code
// exchange and id_token check done by the emulation). Once with the device certificate the agent put in the profile's NSS database (picked by the
// AutoSelectCertificateForUrls policy, no picker), once with a device-bound passkey on a CDP virtual
// authenticator in a profile without the certificate. Neither shows a password page; each makes one
// authorization request and one callback. Without either, Okta gets access_denied once.
import { mkdirSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import { CHROME_POLICY_FILE } from '../../src/agent/chrome-policy.js';
import { shareAutoSelectRules } from '../helpers/chromium-policy.js';
import { loadAgentState } from '../../src/agent/state.js';
import { currentTotp } from '../../src/credentials/totp.js';
import { describeIfAvailable } from '../helpers/ci.js';
import {
  chromiumWithPoliciesAvailable,
  launchChromium,
  newTestContext,
  virtualAuthenticator,
  watchForErrors,
} from '../helpers/chromium.js';
import { EmulatedOkta, type OktaOutcome, type OktaRequest } from '../helpers/okta.js';
import { PASSWORD, startServer, type TestServer } from '../helpers/server.js';
import { adminCli, agentHome, enrollArgs, type AgentHome } from '../integration/device-trust/helpers.js';

const RESULTS_DIR = path.resolve('test-results');
/** Removes this file's rules from the shared Chromium policy (set in beforeAll). */
let unsharePolicy: (() => Promise<void>) | undefined;
/** The account page checks the device, so the session that registers the passkey proves it. */
const POLICIES = `default: allow
policies:
  - { name: account-checks-device, state: enabled, targets: { clients: [latchkey-account] }, conditions: { device: [unmanaged] }, outcome: deny }
`;

type Credential = { credentialId: string; privateKey: string; userHandle?: string; rpId?: string; signCount: number };

describeIfAvailable('Okta factor in a real browser', chromiumWithPoliciesAvailable(), () => {
  let server: TestServer;
  let okta: EmulatedOkta;
  let laptop: AgentHome;
  let totpSecret: string;
  let passkey: Credential | undefined;
  let oktaOrg: https.Server;
  const landed: URL[] = [];

  beforeAll(async () => {
    mkdirSync(RESULTS_DIR, { recursive: true });
    server = await startServer({ cluster: { poll_seconds: 0.2 } });
    await server.app.services.deviceTrust.initCa({ actor: 'test' });
    const file = path.join(server.dataDir, 'policies.yaml');
    writeFileSync(file, POLICIES);
    await adminCli(server, { LATCHKEY_POLICIES: file })(['policy', 'reload']);
    await server.app.syncCluster();
    totpSecret = (await server.addUser('dana', { totp: true })).totpSecret!;
    // Okta's org: its callback records where the browser landed (the test's certificate serves for TLS).
    oktaOrg = https.createServer({ cert: server.app.tls.cert, key: server.app.tls.key }, (req, res) => {
      if (!req.url?.startsWith('/oauth2/v1/authorize/callback')) return void res.writeHead(404).end();
      landed.push(new URL(req.url, `https://${req.headers.host}`));
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>Okta</title><p>Okta</p>');
    });
    await new Promise<void>((resolve) => oktaOrg.listen(0, '127.0.0.1', resolve));
    const domain = `acme.okta.localhost:${(oktaOrg.address() as AddressInfo).port}`;
    const factor = await server.addFactorClient('generic', {
      name: 'Okta',
      redirectUri: [`https://${domain}/oauth2/v1/authorize/callback`],
      authMethod: 'client_secret_post',
    });
    okta = new EmulatedOkta(server, factor.clientId, factor.clientSecret!, domain);
    laptop = agentHome();
    const { token } = await server.app.services.deviceTrust.createEnrollmentToken('dana', { actor: 'test' });
    expect((await laptop.run(enrollArgs(server, token))).stderr).toBe('');
    unsharePolicy = await shareAutoSelectRules(path.join(laptop.policyDir, CHROME_POLICY_FILE));
  });
  afterAll(async () => {
    await unsharePolicy?.();
    laptop?.dispose();
    await new Promise((resolve) => oktaOrg?.close(resolve));
    await server?.close();
  });

  interface Trip {
    outcome: OktaOutcome;
    authorizationRequests: number;
    callbacks: number;
    passwordPages: number;
    errors: string[];
  }

  /**
   * Okta sends `page` to Latchkey; `act` does what the person does on our pages (nothing, with a device
   * certificate). Okta's callback host is answered by request interception, as Okta would answer it.
   */
  async function viaOkta(page: Page, name: string, act: (page: Page) => Promise<void> = async () => {}): Promise<Trip> {
    const errors = watchForErrors(page, server.issuer);
    let authorizationRequests = 0;
    let passwordPages = 0;
    const before = landed.length;
    page.on('request', (request) => {
      if (request.isNavigationRequest() && request.url().startsWith(`${server.issuer}/auth?`))
        authorizationRequests += 1;
    });
    page.on('load', () => {
      void page
        .locator('input[type=password]')
        .count()
        .then((count) => (passwordPages += count > 0 ? 1 : 0))
        .catch(() => undefined);
    });
    const request: OktaRequest = okta.authorizationRequest();
    await page.goto(request.url);
    await act(page);
    await page.waitForURL((url) => url.host === okta.domain, { timeout: 20_000 });
    await page.screenshot({ path: path.join(RESULTS_DIR, `okta-${name}.png`) });
    const callbacks = landed.slice(before);
    expect(callbacks).toHaveLength(1);
    return {
      outcome: await okta.callback(callbacks[0]!, request),
      authorizationRequests,
      callbacks: callbacks.length,
      passwordPages,
      errors,
    };
  }

  it('signs in with the device certificate alone: no password page, one request, one callback', async () => {
    const state = (await loadAgentState(laptop.stateDir))!;
    const browser = await launchChromium({ home: laptop.home });
    try {
      const page = await (await newTestContext(browser)).newPage();
      const trip = await viaOkta(page, 'device-certificate');
      expect(trip).toMatchObject({ authorizationRequests: 1, callbacks: 1, passwordPages: 0, errors: [] });
      expect(trip.outcome).toMatchObject({
        kind: 'signed-in',
        username: 'dana@example.com',
        claims: { amr: ['pop', 'swk'], device_context: { managed: true, externalId: state.deviceId } },
      });
    } finally {
      await browser.close();
    }
  });

  it('registers a device-bound passkey on the enrolled device (password and the device proven)', async () => {
    const browser = await launchChromium({ home: laptop.home });
    try {
      const page = await (await newTestContext(browser)).newPage();
      const { cdp, authenticatorId } = await virtualAuthenticator(page);
      await page.goto(`${server.issuer}/account`);
      await page.getByLabel('Username or email', { exact: true }).fill('dana');
      await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      // The device proven with the password is a second factor already; a code is asked only otherwise.
      const code = page.getByLabel('Verification code', { exact: true });
      const account = page.getByRole('heading', { level: 1, name: 'Your account' });
      await code.or(account).waitFor();
      if (await code.isVisible()) {
        await code.fill(currentTotp(totpSecret, Date.now()));
        await page.getByRole('button', { name: 'Verify' }).click();
      }
      await account.waitFor();
      await page.getByRole('link', { name: 'Register a passkey on this device' }).click();
      await Promise.all([
        page.waitForURL(
          (url) => url.pathname === '/account' && url.searchParams.get('notice') === 'passkey-registered',
        ),
        page.getByRole('button', { name: 'Create passkey' }).click(),
      ]);
      const row = await server.app.services.db('passkeys').first();
      expect(row.device_id).toBe((await loadAgentState(laptop.stateDir))!.deviceId);
      const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
      passkey = credentials[0]!;
    } finally {
      await browser.close();
    }
  });

  it('signs in with the device-bound passkey on a profile without the certificate: no password page', async () => {
    expect(passkey).toBeDefined();
    const browser = await launchChromium();
    try {
      const page = await (await newTestContext(browser)).newPage();
      const { cdp, authenticatorId } = await virtualAuthenticator(page);
      const counter = Number((await server.app.services.db('passkeys').first('counter')).counter);
      await cdp.send('WebAuthn.addCredential', {
        authenticatorId,
        credential: { ...passkey!, isResidentCredential: true, signCount: counter },
      });
      const trip = await viaOkta(page, 'passkey', async (p) => {
        await p.getByRole('heading', { level: 1, name: 'Sign in with a passkey' }).waitFor({ timeout: 20_000 });
        await p.getByRole('button', { name: 'Use my passkey' }).click();
      });
      expect(trip).toMatchObject({ authorizationRequests: 1, callbacks: 1, passwordPages: 0, errors: [] });
      expect(trip.outcome).toMatchObject({
        kind: 'signed-in',
        username: 'dana@example.com',
        claims: { acr: 'urn:latchkey:acr:device', device_context: { managed: true } },
      });
    } finally {
      await browser.close();
    }
  });

  it('answers Okta with access_denied once for a browser with neither', async () => {
    const browser = await launchChromium();
    try {
      const page = await (await newTestContext(browser)).newPage();
      const trip = await viaOkta(page, 'refused', async (p) => {
        // A device-bound passkey exists for someone, so the passkey is offered before the deny is final.
        await p.getByRole('button', { name: 'I have no passkey on this device' }).click();
      });
      expect(trip).toMatchObject({ authorizationRequests: 1, callbacks: 1, passwordPages: 0, errors: [] });
      expect(trip.outcome).toMatchObject({ kind: 'error', error: 'access_denied' });
    } finally {
      await browser.close();
    }
  });
});
