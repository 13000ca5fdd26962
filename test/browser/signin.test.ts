// A person in a real Chromium signs in through Latchkey's own pages: password, then a one-time code, then
// back to the relying party. Checks what only a browser shows: labels tied to inputs, the CSP letting the
// pages work (violations are console errors), the form-action redirect to the RP, and how the pages look.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from '@jest/globals';
import type { Browser, BrowserContext } from 'playwright-core';
import { currentTotp } from '../../src/credentials/totp.js';
import { csrFor, ecKeys } from '../unit/trust/fixtures.js';
import { describeIfAvailable } from '../helpers/ci.js';
import {
  chromiumAvailable,
  launchChromium,
  newTestContext,
  startCallbackServer,
  watchForErrors,
} from '../helpers/chromium.js';
import { relyingParty, type RelyingParty } from '../helpers/rp.js';
import { startServer, type TestServer } from '../helpers/server.js';

const RESULTS_DIR = path.resolve('test-results');

describeIfAvailable('signing in with a real browser', chromiumAvailable(), () => {
  let server: TestServer;
  let callback: Awaited<ReturnType<typeof startCallbackServer>>;
  let rp: RelyingParty;
  let browser: Browser;
  let context: BrowserContext | undefined;
  let totpSecret: string;

  beforeAll(async () => {
    mkdirSync(RESULTS_DIR, { recursive: true });
    [server, callback, browser] = await Promise.all([startServer(), startCallbackServer(), launchChromium()]);
    const client = await server.addClient({ name: 'Browser RP', redirectUri: [callback.redirectUri] });
    rp = await relyingParty(server, client.clientId, client.clientSecret, callback.redirectUri);
    totpSecret = (await server.addUser('tess', { totp: true })).totpSecret!;
    await server.addUser('wendy');
  });
  afterEach(async () => {
    await context?.close();
    context = undefined;
  });
  afterAll(async () => {
    await browser?.close();
    await callback?.close();
    await server?.close();
  });

  it('signs in with password and a one-time code and returns to the relying party with email and amr otp', async () => {
    context = await newTestContext(browser);
    const page = await context.newPage();
    const errors = watchForErrors(page, server.issuer);
    const started = await rp.start();

    const response = await page.goto(started.url);
    expect(response?.status()).toBe(200);
    expect(new URL(page.url()).origin).toBe(server.issuer);
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    const username = page.getByLabel('Username or email', { exact: true });
    const password = page.getByLabel('Password', { exact: true });
    expect(await username.evaluate((el) => `${el.tagName} ${(el as HTMLInputElement).type}`)).toBe('INPUT text');
    expect(await password.evaluate((el) => `${el.tagName} ${(el as HTMLInputElement).type}`)).toBe('INPUT password');
    // The stylesheet loaded under the CSP (style-src 'self'): the card is laid out, not raw HTML.
    expect(await page.locator('main.card').evaluate((el) => getComputedStyle(el).borderRadius)).toBe('12px');
    await page.screenshot({ path: path.join(RESULTS_DIR, 'browser-signin.png') });

    await username.fill('tess');
    await password.fill('correct horse battery staple');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();

    await page.getByRole('heading', { level: 1, name: 'Enter your verification code' }).waitFor();
    const otp = page.getByLabel('Verification code', { exact: true });
    await page.screenshot({ path: path.join(RESULTS_DIR, 'browser-totp.png') });
    await otp.fill(currentTotp(totpSecret, Date.now()));
    await Promise.all([
      page.waitForURL((url) => url.toString().startsWith(callback.redirectUri)),
      page.getByRole('button', { name: 'Verify' }).click(),
    ]);

    expect(await page.locator('body').innerText()).toContain('signed in');
    const landedAt = callback.landed.at(-1)!;
    expect(landedAt.searchParams.get('error')).toBeNull();
    const tokens = await rp.finish(landedAt, started);
    const claims = tokens.claims()!;
    expect(claims.email).toBe('tess@example.com');
    expect(claims.amr).toEqual(expect.arrayContaining(['pwd', 'otp']));
    expect(errors).toEqual([]);
  });

  it('shows a wrong password as an alert tied to the username field, then accepts the right one', async () => {
    context = await newTestContext(browser);
    const page = await context.newPage();
    const errors = watchForErrors(page, server.issuer);
    const started = await rp.start();

    await page.goto(started.url);
    await page.getByLabel('Username or email', { exact: true }).fill('wendy');
    await page.getByLabel('Password', { exact: true }).fill('not the password at all');
    const [wrong] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST'),
      page.getByRole('button', { name: 'Sign in', exact: true }).click(),
    ]);
    expect(wrong.status()).toBe(401);

    const alert = page.getByRole('alert');
    expect(await alert.innerText()).toBe('The username or password is incorrect.');
    const username = page.getByLabel('Username or email', { exact: true });
    expect(await username.inputValue()).toBe('wendy');
    expect(await username.getAttribute('aria-describedby')).toBe('form-error');
    await page.screenshot({ path: path.join(RESULTS_DIR, 'browser-wrong-password.png') });

    await page.getByLabel('Password', { exact: true }).fill('correct horse battery staple');
    await Promise.all([
      page.waitForURL((url) => url.toString().startsWith(callback.redirectUri)),
      page.getByRole('button', { name: 'Sign in', exact: true }).click(),
    ]);
    const tokens = await rp.finish(callback.landed.at(-1)!, started);
    expect(tokens.claims()!.email).toBe('wendy@example.com');
    // Chromium reports the 401 document itself as a failed resource; anything else is a page bug.
    const document401 = `${wrong.url()}: Failed to load resource: the server responded with a status of 401 (Unauthorized) [${wrong.url()}]`;
    expect(errors.filter((e) => e !== document401)).toEqual([]);
  });

  it('shows the account page laid out with room to breathe, lists styled, on a wide and a phone-sized window', async () => {
    await server.app.services.deviceTrust.initCa({ actor: 'test' });
    const { token } = await server.app.services.deviceTrust.createEnrollmentToken('wendy', { actor: 'test' });
    await server.app.services.deviceTrust.enroll({
      token,
      csr: await csrFor(await ecKeys()),
      posture: { platform: 'linux', osVersion: '12', hostname: 'wendy-laptop', integrity: 'secure-boot-on' },
    });
    context = await newTestContext(browser);
    const page = await context.newPage();
    const errors = watchForErrors(page, server.issuer);
    await page.goto(`${server.issuer}/account`);
    await page.getByLabel('Username or email', { exact: true }).fill('wendy');
    await page.getByLabel('Password', { exact: true }).fill('correct horse battery staple');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Your account' }).waitFor();
    for (const [name, viewport] of [
      ['wide', { width: 1280, height: 900 }],
      ['phone', { width: 375, height: 800 }],
    ] as const) {
      await page.setViewportSize(viewport);
      await page.screenshot({ path: path.join(RESULTS_DIR, `browser-account-${name}.png`), fullPage: true });
      const card = (await page.locator('main.card').boundingBox())!;
      // Nothing flush against the window edge, on either size.
      expect(card.x).toBeGreaterThanOrEqual(8);
      expect(viewport.width - (card.x + card.width)).toBeGreaterThanOrEqual(8);
    }
    const device = page.locator('ul.items > li').filter({ hasText: 'wendy-laptop' });
    expect(await device.evaluate((el) => getComputedStyle(el).borderTopStyle)).toBe('solid');
    expect(await device.evaluate((el) => getComputedStyle(el).listStyleType)).toBe('none');
    expect(await page.getByRole('button', { name: 'Remove this device' }).count()).toBe(1);
    expect(await page.locator('body').innerText()).toContain('Signed in to Latchkey account from 127.0.0.1');
    expect(errors).toEqual([]);
  });
});
