// A person in a real Chromium with a virtual authenticator (DevTools protocol: ctap2, internal transport,
// resident keys, user verification): signs in to /account with password and TOTP, registers a passkey,
// is refused a second registration of the same authenticator, then signs in to an openid-client relying
// party with the passkey alone. An authenticator that cannot verify the user is refused. No page may log
// an error or break the CSP; screenshots go to test-results/.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { currentTotp } from '../../src/credentials/totp.js';
import { describeIfAvailable } from '../helpers/ci.js';
import {
  chromiumAvailable,
  launchChromium,
  newTestContext,
  startCallbackServer,
  virtualAuthenticator,
  watchForErrors,
} from '../helpers/chromium.js';
import { relyingParty, type RelyingParty } from '../helpers/rp.js';
import { PASSWORD, startServer, type TestServer } from '../helpers/server.js';

const RESULTS_DIR = path.resolve('test-results');

describeIfAvailable('passkeys in a real browser', chromiumAvailable(), () => {
  let server: TestServer;
  let callback: Awaited<ReturnType<typeof startCallbackServer>>;
  let rp: RelyingParty;
  let browser: Browser;
  let contexts: BrowserContext[] = [];
  let totpSecret: string;
  /** The credential the first context registered (with its private key), to put into later authenticators. */
  let registered:
    { credentialId: string; privateKey: string; userHandle?: string; rpId?: string; signCount: number } | undefined;

  beforeAll(async () => {
    mkdirSync(RESULTS_DIR, { recursive: true });
    [server, callback, browser] = await Promise.all([startServer(), startCallbackServer(), launchChromium()]);
    const client = await server.addClient({ name: 'Browser RP', redirectUri: [callback.redirectUri] });
    rp = await relyingParty(server, client.clientId, client.clientSecret, callback.redirectUri);
    totpSecret = (await server.addUser('tess', { totp: true })).totpSecret!;
  });
  afterEach(async () => {
    await Promise.all(contexts.map((c) => c.close()));
    contexts = [];
  });
  afterAll(async () => {
    await browser?.close();
    await callback?.close();
    await server?.close();
  });

  async function newPage(): Promise<{ page: Page; errors: string[] }> {
    const context = await newTestContext(browser);
    contexts.push(context);
    const page = await context.newPage();
    return { page, errors: watchForErrors(page, server.issuer) };
  }

  async function passkeyCount(): Promise<number> {
    const row = (await server.app.services.db('passkeys').count({ n: '*' }).first()) as { n: number | string };
    return Number(row.n);
  }

  it('registers a passkey after password + TOTP and refuses the same authenticator a second time', async () => {
    const { page, errors } = await newPage();
    const authenticator = await virtualAuthenticator(page);
    await page.goto(`${server.issuer}/account`);
    await page.getByLabel('Username or email', { exact: true }).fill('tess');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByLabel('Verification code', { exact: true }).fill(currentTotp(totpSecret, Date.now()));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('heading', { level: 1, name: 'Your account' }).waitFor();
    await page.getByRole('heading', { level: 2, name: 'Passkeys' }).waitFor();

    await page.getByRole('link', { name: 'Register a passkey on this device' }).click();
    await page.getByRole('heading', { level: 1, name: 'Register a passkey' }).waitFor();
    const name = page.getByLabel('Name for this passkey', { exact: true });
    expect(await name.inputValue()).toBe('My passkey');
    await name.fill('Work laptop');
    await page.screenshot({ path: path.join(RESULTS_DIR, 'passkey-register.png') });
    await Promise.all([
      page.waitForURL((url) => url.pathname === '/account' && url.searchParams.get('notice') === 'passkey-registered'),
      page.getByRole('button', { name: 'Create passkey' }).click(),
    ]);
    expect(await page.getByRole('status').first().innerText()).toContain('Your passkey is registered');
    const item = page.locator('li.passkey');
    expect(await item.locator('strong').innerText()).toBe('Work laptop');
    expect(await item.innerText()).toContain('on one authenticator, no known device');
    await page.screenshot({ path: path.join(RESULTS_DIR, 'passkey-account.png'), fullPage: true });
    expect(await passkeyCount()).toBe(1);
    const [audit] = await server.app.services.audit.search({ event: 'passkey.register', limit: 1 });
    expect(audit).toMatchObject({ outcome: 'success', username: 'tess' });

    // The same authenticator again: the options exclude its credential, so the browser refuses.
    await page.goto(`${server.issuer}/account/passkeys/new`);
    await page.getByRole('button', { name: 'Create passkey' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.innerText()).toBe(
      'This device already has a passkey for your account. You can use it to sign in.',
    );
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('passkey-register-button');
    await page.screenshot({ path: path.join(RESULTS_DIR, 'passkey-register-excluded.png') });
    expect(await passkeyCount()).toBe(1);

    const { credentials } = await authenticator.cdp.send('WebAuthn.getCredentials', {
      authenticatorId: authenticator.authenticatorId,
    });
    expect(credentials).toHaveLength(1);
    expect(credentials[0]!.isResidentCredential).toBe(true);
    registered = credentials[0]!;
    expect(errors).toEqual([]);
  });

  /**
   * The registered credential as a fresh copy of the authenticator would hold it: its signature counter
   * where the server last saw it (a copy with an older counter is refused as a clone, as it should be).
   */
  async function credentialNow() {
    const row = await server.app.services.db('passkeys').first('counter');
    return { ...registered!, isResidentCredential: true, signCount: Number(row.counter) };
  }

  /** A new page whose authenticator holds the registered passkey. */
  async function pageWithPasskey(options: { verifies?: boolean; present?: boolean } = {}) {
    expect(registered).toBeDefined();
    const opened = await newPage();
    const authenticator = await virtualAuthenticator(opened.page, options.verifies ?? true, options.present ?? true);
    await authenticator.cdp.send('WebAuthn.addCredential', {
      authenticatorId: authenticator.authenticatorId,
      credential: await credentialNow(),
    });
    return { ...opened, authenticator };
  }

  async function expectPasskeySignIn(started: Awaited<ReturnType<RelyingParty['start']>>, errors: string[]) {
    const tokens = await rp.finish(callback.landed.at(-1)!, started);
    const claims = tokens.claims()!;
    expect(claims.amr).toEqual(['swk', 'user', 'mfa']);
    expect(claims.acr).toBe('urn:latchkey:acr:mfa');
    expect(claims.email).toBe('tess@example.com');
    const [audit] = await server.app.services.audit.search({ event: 'login.passkey', limit: 1 });
    expect(audit).toMatchObject({
      outcome: 'success',
      username: 'tess',
      reasons: ['passkey', 'attestation not verified'],
    });
    expect(errors).toEqual([]);
  }

  it("signs in to the relying party with the passkey from the username field's autofill alone", async () => {
    const { page, errors } = await pageWithPasskey();
    const started = await rp.start();
    // Conditional mediation: the login page asks at once; this authenticator answers without a click.
    await Promise.all([
      page.waitForURL((url) => url.toString().startsWith(callback.redirectUri)),
      page.goto(started.url),
    ]);
    await expectPasskeySignIn(started, errors);
  });

  it('signs in with the "Sign in with a passkey" button: no username, no password', async () => {
    const { page, errors } = await newPage();
    // No authenticator yet while the page loads, so autofill has nothing to answer with; the button does.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    const started = await rp.start();
    await page.goto(started.url);
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    expect(await page.getByLabel('Username or email', { exact: true }).getAttribute('autocomplete')).toBe(
      'username webauthn',
    );
    await page.screenshot({ path: path.join(RESULTS_DIR, 'passkey-login.png') });
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    });
    await cdp.send('WebAuthn.addCredential', { authenticatorId, credential: await credentialNow() });
    await Promise.all([
      page.waitForURL((url) => url.toString().startsWith(callback.redirectUri)),
      page.getByRole('button', { name: 'Sign in with a passkey' }).click(),
    ]);
    await expectPasskeySignIn(started, errors);
  });

  it('registers a security key too: the platform authenticator is preferred, not required', async () => {
    const { totpSecret: secret } = await server.addUser('ugo', { totp: true });
    const { page, errors } = await newPage();
    await virtualAuthenticator(page, true, true, 'usb');
    await page.goto(`${server.issuer}/account`);
    await page.getByLabel('Username or email', { exact: true }).fill('ugo');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByLabel('Verification code', { exact: true }).fill(currentTotp(secret!, Date.now()));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('link', { name: 'Register a passkey on this device' }).click();
    await page.getByLabel('Name for this passkey', { exact: true }).fill('Security key');
    await Promise.all([
      page.waitForURL((url) => url.pathname === '/account' && url.searchParams.get('notice') === 'passkey-registered'),
      page.getByRole('button', { name: 'Create passkey' }).click(),
    ]);
    // A key that travels says nothing about which device is in use, whatever the session proved.
    expect(await page.locator('li.passkey').innerText()).toContain('on one authenticator, no known device');
    const ugo = (await server.app.services.users.findByUsername('ugo'))!;
    const row = await server.app.services.db('passkeys').where({ user_id: ugo.id }).first();
    expect([row.attachment, JSON.parse(row.transports)]).toEqual(['cross-platform', ['usb']]);
    expect(errors).toEqual([]);
  });

  it('refuses an authenticator that cannot verify the user, and says what to do', async () => {
    const { page, errors } = await pageWithPasskey({ verifies: false });
    const started = await rp.start();
    await page.goto(started.url);
    const before = callback.landed.length;
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    const alert = page.locator('#passkey-error');
    await alert.waitFor({ state: 'visible' });
    expect(await alert.getAttribute('role')).toBe('alert');
    expect(await alert.innerText()).toContain('No passkey was used');
    await page.screenshot({ path: path.join(RESULTS_DIR, 'passkey-no-uv.png') });
    expect(callback.landed.length).toBe(before);
    expect(new URL(page.url()).origin).toBe(server.issuer);
    expect(errors).toEqual([]);
  });
});
