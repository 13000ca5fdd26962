// What the passkey integration tests share: a person signed in to /account with password + TOTP, reading
// the WebAuthn options our pages embed, answering them with a software authenticator, and counting rows.
import { currentTotp } from '../../../src/credentials/totp.js';
import { HttpUser, type Landing, type Page } from '../../helpers/http-user.js';
import { SoftAuthenticator, type CeremonyOverrides } from '../../helpers/soft-authenticator.js';
import { PASSWORD, type TestServer } from '../../helpers/server.js';

/** The element with `id` and its attribute `name`, entity-decoded (our html`` escapes as &#NN;). */
export function attributeOf(html: string, id: string, name: string): string {
  const tag = new RegExp(`<[a-z]+[^>]*\\bid="${id}"[^>]*>`, 's').exec(html)?.[0];
  const value = tag ? new RegExp(`\\b${name}="([^"]*)"`).exec(tag)?.[1] : undefined;
  if (value === undefined) throw new Error(`no ${name} on #${id} in: ${html.slice(0, 500)}`);
  return value.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));
}

/** The WebAuthn options of the page's passkey form (sign-in) or registration form. */
export function optionsOf(html: string): {
  challenge: string;
  user: { id: string };
  excludeCredentials?: Array<{ id: string }>;
} {
  const id = html.includes('id="passkey-register-form"') ? 'passkey-register-form' : 'passkey-form';
  return JSON.parse(attributeOf(html, id, 'data-options')) as never;
}

export function csrfOf(html: string, formId: string): string {
  const form = new RegExp(`<form[^>]*id="${formId}"[\\s\\S]*?</form>`).exec(html)?.[0] ?? '';
  const csrf = /name="csrf" value="([^"]+)"/.exec(form)?.[1];
  if (!csrf) throw new Error(`no csrf in #${formId}`);
  return csrf;
}

export function pageOf(landing: Landing): Page {
  if (landing.kind !== 'page') throw new Error(`expected a page, landed at ${landing.url.toString()}`);
  return landing.page;
}

/** A person signed in to /account with password and TOTP just now. */
export async function accountUser(
  server: TestServer,
  username: string,
  totpSecret: string,
  on?: typeof fetch,
): Promise<HttpUser> {
  const user = new HttpUser(server.fetch, server.issuer);
  if (on) user.onDevice(on);
  const landing = await user.signIn(`${server.issuer}/account`, { username, password: PASSWORD, totpSecret });
  const page = pageOf(landing);
  if (!page.html.includes('Your account')) throw new Error(`not on the account page: ${page.html.slice(0, 400)}`);
  return user;
}

/** Opens the registration page. */
export async function registrationPage(user: HttpUser, server: TestServer): Promise<Page> {
  return pageOf(await user.go(`${server.issuer}/account/passkeys/new`));
}

/** Posts a registration response (or any `credential` text) from `page`. */
export async function postRegistration(
  user: HttpUser,
  server: TestServer,
  page: Page,
  credential: unknown,
  name = 'Test passkey',
): Promise<Response> {
  return user.request(`${server.issuer}/account/passkeys`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      csrf: csrfOf(page.html, 'passkey-register-form'),
      name,
      credential: typeof credential === 'string' ? credential : JSON.stringify(credential),
    }).toString(),
  });
}

/** Registers `authenticator` for the signed-in `user`; throws unless it was stored. */
export async function registerWith(
  user: HttpUser,
  server: TestServer,
  authenticator: SoftAuthenticator,
  overrides: CeremonyOverrides = {},
): Promise<void> {
  const page = await registrationPage(user, server);
  const response = await postRegistration(user, server, page, authenticator.register(optionsOf(page.html), overrides));
  if (response.status !== 303)
    throw new Error(`registration refused (${response.status}): ${(await response.text()).slice(0, 600)}`);
}

/** Posts an assertion (or any `credential` text) from a page holding the passkey form. */
export async function postAssertion(
  user: HttpUser,
  server: TestServer,
  page: Page,
  credential: unknown,
): Promise<Landing> {
  return user.go(new URL(attributeOf(page.html, 'passkey-form', 'action'), server.issuer).toString(), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      csrf: csrfOf(page.html, 'passkey-form'),
      credential: typeof credential === 'string' ? credential : JSON.stringify(credential),
    }).toString(),
  });
}

export function softAuthenticator(server: TestServer, options: { backupEligible?: boolean; counter?: number } = {}) {
  return new SoftAuthenticator({
    origin: server.issuer,
    rpId: new URL(server.issuer).hostname,
    counter: 1,
    ...options,
  });
}

export async function passkeyRows(server: TestServer): Promise<number> {
  const row = (await server.app.services.db('passkeys').count({ n: '*' }).first()) as { n: number | string };
  return Number(row.n);
}

/** The reasons of the newest audit event `event` (its code first). */
export async function lastAudit(
  server: TestServer,
  event: string,
): Promise<{ outcome: string; reasons: string[] } | undefined> {
  const [latest] = await server.app.services.audit.search({ event, limit: 1 });
  return latest ? { outcome: latest.outcome, reasons: latest.reasons } : undefined;
}

export { currentTotp };
