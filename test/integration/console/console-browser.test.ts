// The admin console in Debian's Chromium: an administrator whose device was enrolled by latchkey-agent
// (its NSS database holds the certificate; the AutoSelectCertificateForUrls policy picks it without a
// picker) signs in, creates a user, revokes a device with a reason, publishes a policy draft with a
// deliberate error (shown inline, nothing saved) and runs a what-if. A non-admin on an enrolled device
// and the administrator on a browser without a device are refused; a device-bound passkey made on the
// administrator's laptop lets them in from a browser without its certificate. Screenshots go to
// /tmp/console-shots.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { CHROME_POLICY_FILE } from '../../../src/agent/chrome-policy.js';
import { shareAutoSelectRules } from '../../helpers/chromium-policy.js';
import { describeIfAvailable } from '../../helpers/ci.js';
import {
  chromiumWithPoliciesAvailable,
  launchChromium,
  newTestContext,
  virtualAuthenticator,
  watchForErrors,
} from '../../helpers/chromium.js';
import { PASSWORD, startServer, type TestServer } from '../../helpers/server.js';
import { agentHome, enrollArgs, enrolledDevice, type AgentHome } from '../device-trust/helpers.js';

const SHOTS = process.env.LATCHKEY_CONSOLE_SHOTS ?? '/tmp/console-shots';
/** A name of our own in Chromium's policy directory, removed afterwards: other runs may share the machine. */
/** Removes this file's rules from the shared Chromium policy (set in beforeAll). */
let unsharePolicy: (() => Promise<void>) | undefined;

describeIfAvailable('the admin console in a real browser', chromiumWithPoliciesAvailable(), () => {
  let server: TestServer;
  let rootLaptop: AgentHome;
  let bobLaptop: AgentHome;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    server = await startServer({ cluster: { poll_seconds: 0.2 } });
    const s = server.app.services;
    await s.deviceTrust.initCa({ actor: 'test' });
    await server.addUser('root');
    await server.addUser('bob');
    const admins = await s.groups.create('latchkey-admins', 'Latchkey administrators');
    await s.groups.addMember(admins.id, (await s.users.require('root')).id);
    rootLaptop = agentHome();
    bobLaptop = agentHome();
    for (const [laptop, username] of [
      [rootLaptop, 'root'],
      [bobLaptop, 'bob'],
    ] as const) {
      const { token } = await s.deviceTrust.createEnrollmentToken(username, { actor: 'test' });
      const enrolled = await laptop.run(enrollArgs(server, token));
      expect(enrolled.stderr).toBe('');
    }
    unsharePolicy = await shareAutoSelectRules(path.join(rootLaptop.policyDir, CHROME_POLICY_FILE));
  });
  afterAll(async () => {
    await unsharePolicy?.();
    rootLaptop?.dispose();
    bobLaptop?.dispose();
    await server?.close();
  });

  /** The heading of where a console sign-in ends: the overview, or the refusal. */
  const ENDED = /^(Overview|Admin console unavailable)$/;

  /** Opens /admin and, when asked after the device check, signs in with the password. */
  async function signIn(page: Page, username: string): Promise<void> {
    await page.goto(`${server.issuer}/admin`);
    const signInPage = page.getByRole('heading', { level: 1, name: 'Sign in' });
    const ended = page.getByRole('heading', { level: 1, name: ENDED });
    await signInPage.or(ended).waitFor({ timeout: 20_000 });
    if (await ended.isVisible()) return;
    await page.getByLabel('Username or email', { exact: true }).fill(username);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await ended.waitFor({ timeout: 20_000 });
  }

  /** A full-page screenshot at desktop width and at a phone's 375 px. */
  async function shoot(page: Page, name: string): Promise<void> {
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.screenshot({ path: path.join(SHOTS, `${name}-desktop.png`), fullPage: true });
    await page.setViewportSize({ width: 375, height: 812 });
    await page.screenshot({ path: path.join(SHOTS, `${name}-375.png`), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 800 });
  }

  it('lets an admin on a trusted device create a user, revoke a device, keep a bad policy unsaved and run a what-if', async () => {
    const browser: Browser = await launchChromium({ home: rootLaptop.home });
    try {
      const context = await newTestContext(browser);
      const page = await context.newPage();
      const errors = watchForErrors(page, server.issuer);
      await signIn(page, 'root');
      await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
      await expect(page.getByText('trusted').first().isVisible()).resolves.toBe(true);
      await shoot(page, 'overview');

      // Create a user.
      await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Users' }).click();
      await page.getByLabel('Username', { exact: true }).fill('erin');
      await page.getByLabel('Email (optional)').fill('erin@example.com');
      await page.getByLabel('Display name (optional)').fill('Erin Example');
      await page.getByRole('button', { name: 'Create user' }).click();
      await page.getByText('User erin was created.').waitFor();
      await shoot(page, 'user-created');
      expect(await server.app.services.users.findByLogin('erin')).toBeDefined();

      // Revoke a device with a reason.
      const erinDevice = await enrolledDevice(server, 'erin');
      await page.getByRole('link', { name: 'Devices', exact: true }).click();
      await shoot(page, 'devices');
      await page.getByRole('link', { name: erinDevice.deviceId }).click();
      await page.getByLabel('Reason').last().selectOption('keyCompromise');
      await page.getByRole('button', { name: 'Revoke device' }).click();
      await page.getByText('The device was revoked (keyCompromise)').waitFor();
      await shoot(page, 'device-revoked');
      const revoked = await server.app.services.deviceTrust.device(erinDevice.deviceId);
      expect(revoked.status).toBe('revoked');
      expect(revoked.revokedReason).toBe('keyCompromise');

      // A policy draft with a deliberate error: shown inline, nothing published.
      const before = await server.app.services.policySets.latestVersion();
      await page.getByRole('link', { name: 'Policies', exact: true }).click();
      await page
        .getByLabel(/Policy set \(YAML\)/)
        .fill('default: allow\npolicies:\n  - name: office\n    state: enabled\n    outcome: perhaps\n');
      await page.getByRole('button', { name: 'Publish' }).click();
      await page.getByText('nothing was saved').waitFor();
      await expect(page.getByLabel('Problems in the draft').innerText()).resolves.toMatch(/line 5:\d+/);
      await expect(page.getByLabel(/Policy set \(YAML\)/).getAttribute('aria-invalid')).resolves.toBe('true');
      await shoot(page, 'policy-error');
      expect(await server.app.services.policySets.latestVersion()).toBe(before);

      // What-if: the verdicts of every policy, the console rule's included.
      await page.getByRole('link', { name: 'What-if', exact: true }).click();
      await page.getByLabel('Application').selectOption('latchkey-console');
      await page.getByLabel('User (optional)').fill('bob');
      await page.getByLabel('Device', { exact: true }).selectOption('trusted');
      await page.getByRole('button', { name: 'Run what-if' }).click();
      await page.getByRole('heading', { name: /Prediction:/ }).waitFor();
      await expect(page.getByRole('table', { name: 'Every policy verdict' }).innerText()).resolves.toContain(
        'built-in: admin console',
      );
      await shoot(page, 'what-if');

      // An admin API client, registered from the browser with the scopes ticked; its secret shown once.
      await page.getByRole('link', { name: 'Clients', exact: true }).click();
      await page.getByLabel('Name', { exact: true }).last().fill('Terraform');
      await page.getByLabel(/latchkey\.users\.read:/).check();
      await page.getByRole('button', { name: 'Register admin API client' }).click();
      await page.getByText('Admin API client Terraform was registered.').waitFor();
      await shoot(page, 'admin-client');
      const terraform = (await server.app.services.clients.list()).find((c) => c.name === 'Terraform');
      expect(terraform?.metadata.scope).toBe('latchkey.users.read');

      // Keys and CA: a staged signing-key rotation.
      await page.getByRole('link', { name: 'Keys and CA', exact: true }).click();
      await page.getByRole('button', { name: 'Rotate the signing keys' }).click();
      await page.getByText(/every node publishes them now/).waitFor();
      await shoot(page, 'keys');

      // The audit log, and one sign-in's story.
      await page.getByRole('link', { name: 'Audit', exact: true }).click();
      await page.getByLabel('Event').fill('login.complete');
      await page.getByRole('button', { name: 'Filter' }).click();
      await shoot(page, 'audit');
      await page.getByRole('link', { name: 'login.complete' }).first().click();
      await page.getByRole('heading', { level: 1, name: /Sign-in / }).waitFor();
      await shoot(page, 'sign-in-story');
      // The draft with an error was answered 400 on purpose; nothing else may have failed.
      expect(errors.filter((e) => !e.includes('status of 400') || !e.includes('/admin/policies'))).toEqual([]);
      await context.close();
    } finally {
      await browser.close();
    }
  });

  it('refuses a non-admin on an enrolled device', async () => {
    const browser = await launchChromium({ home: bobLaptop.home });
    try {
      const page = await (await newTestContext(browser)).newPage();
      // The device certificate names bob: he is refused without being asked for a password.
      await signIn(page, 'bob');
      await page.getByText('The admin console is only for Latchkey administrators.').waitFor();
      await shoot(page, 'refused-non-admin');
    } finally {
      await browser.close();
    }
  });

  it('refuses the admin on a browser without a device certificate', async () => {
    const browser = await launchChromium();
    try {
      const page = await (await newTestContext(browser)).newPage();
      await signIn(page, 'root');
      await page.getByRole('heading', { level: 1, name: 'Admin console unavailable' }).waitFor();
      await expect(page.getByRole('alert').innerText()).resolves.toContain('trusted device');
      await shoot(page, 'refused-no-device');
    } finally {
      await browser.close();
    }
  });

  it('lets the admin in with a device-bound passkey made on the trusted laptop, on a browser without its certificate', async () => {
    // On the laptop (its certificate proves the device): register a passkey on the account page. Its
    // authenticator is the laptop's own (internal, not synced), so the passkey is bound to that device.
    const laptop = await launchChromium({ home: rootLaptop.home });
    let credential: { credentialId: string; privateKey: string; signCount: number; isResidentCredential: boolean };
    try {
      const page = await (await newTestContext(laptop)).newPage();
      const errors = watchForErrors(page, server.issuer);
      const authenticator = await virtualAuthenticator(page);
      const passwordSignIn = async () => {
        await page.getByLabel('Username or email', { exact: true }).fill('root');
        await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
        await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      };
      await page.goto(`${server.issuer}/account`);
      await passwordSignIn();
      await page.getByRole('heading', { level: 1, name: 'Your account' }).waitFor();
      // Registering needs a fresh second factor: the password again, then the device check (the certificate).
      // The password form's post is redirected to the device-check listener, another origin: before the
      // sign-in pages' CSP form-action named it, Chromium blocked that redirect and registration never began.
      await page.getByRole('link', { name: 'Register a passkey on this device' }).click();
      await passwordSignIn();
      await page.getByRole('heading', { level: 1, name: 'Register a passkey' }).waitFor();
      await expect(page.getByText('It will be bound to this device').isVisible()).resolves.toBe(true);
      await Promise.all([
        page.waitForURL((url) => url.searchParams.get('notice') === 'passkey-registered'),
        page.getByRole('button', { name: 'Create passkey' }).click(),
      ]);
      const [passkey] = await server.app.services.db('passkeys').select('device_id', 'counter');
      expect(passkey?.device_id).toEqual(expect.any(String));
      const { credentials } = await authenticator.cdp.send('WebAuthn.getCredentials', {
        authenticatorId: authenticator.authenticatorId,
      });
      credential = { ...credentials[0]!, signCount: Number(passkey!.counter) };
      expect(errors).toEqual([]);
    } finally {
      await laptop.close();
    }

    // The same authenticator in a browser with no device certificate: the passkey alone proves the device.
    const bare = await launchChromium();
    try {
      const page = await (await newTestContext(bare)).newPage();
      const errors = watchForErrors(page, server.issuer);
      const authenticator = await virtualAuthenticator(page);
      await authenticator.cdp.send('WebAuthn.addCredential', {
        authenticatorId: authenticator.authenticatorId,
        credential: { ...credential!, isResidentCredential: true },
      });
      await page.goto(`${server.issuer}/admin`);
      const signInPage = page.getByRole('heading', { level: 1, name: 'Sign in' });
      const ended = page.getByRole('heading', { level: 1, name: ENDED });
      await signInPage.or(ended).waitFor({ timeout: 20_000 });
      if (await signInPage.isVisible()) await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
      await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor({ timeout: 20_000 });
      await shoot(page, 'overview-passkey');
      const [used] = await server.app.services.audit.search({ event: 'login.passkey', limit: 1 });
      expect(used).toMatchObject({ outcome: 'success', username: 'root' });
      const [completed] = await server.app.services.audit.search({
        event: 'login.complete',
        clientId: 'latchkey-console',
        limit: 1,
      });
      expect(completed?.reasons.join('; ')).toContain('acr urn:latchkey:acr:device');
      expect(errors).toEqual([]);
    } finally {
      await bare.close();
    }
  });
});
