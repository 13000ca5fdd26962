// The claims a relying party builds its session on: auth_time and sid in every id_token (a sign-in and a
// later one from the same session alike), discovery listing them, and login_hint pre-filling the username
// field, escaped, and only when it is a name someone could have.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { decodeJwt } from 'jose';
import { startServer, type TestServer } from '../../helpers/server.js';
import { HttpUser, expectCallback, type Landing } from '../../helpers/http-user.js';
import { relyingParty, REDIRECT_URI, type RelyingParty } from '../../helpers/rp.js';
import { backendName } from '../../helpers/backend.js';

function pageOf(landing: Landing): string {
  if (landing.kind !== 'page') throw new Error(`expected a page, got a redirect to ${landing.url.toString()}`);
  return landing.page.html;
}

/** The value attribute of the username field. */
function usernameValue(html: string): string | undefined {
  const input = /<input[^>]*id="username"[^>]*>/s.exec(html)?.[0];
  if (!input) throw new Error('no username field on the page');
  return /\svalue="([^"]*)"/.exec(input)?.[1];
}

describe(`id_token claims and login_hint [${backendName()}]`, () => {
  let server: TestServer;
  let rp: RelyingParty;

  beforeAll(async () => {
    server = await startServer();
    const { clientId, clientSecret } = await server.addClient({ name: 'Claims RP', redirectUri: [REDIRECT_URI] });
    rp = await relyingParty(server, clientId, clientSecret);
  });
  afterAll(async () => {
    await server?.close();
  });

  it('lists auth_time and sid among the claims in discovery', async () => {
    const doc = (await (await server.fetch(`${server.issuer}/.well-known/openid-configuration`)).json()) as {
      claims_supported: string[];
    };
    expect(doc.claims_supported).toEqual(expect.arrayContaining(['auth_time', 'sid']));
  });

  it('puts auth_time and sid in the id_token of a sign-in and of a later one from the same session', async () => {
    const { password } = await server.addUser('sid');
    const browser = new HttpUser(server.fetch, server.issuer);
    const before = Math.floor(Date.now() / 1000);
    const first = await rp.start();
    const firstTokens = await rp.finish(
      expectCallback(await browser.signIn(first.url, { username: 'sid', password })),
      first,
    );
    const claims = decodeJwt(firstTokens.id_token!);
    expect(claims.auth_time).toEqual(expect.any(Number));
    expect(claims.auth_time as number).toBeGreaterThanOrEqual(before - 1);
    expect(claims.sid).toEqual(expect.any(String));

    // No login prompt this time (the session suffices): oidc-provider would leave auth_time out.
    const second = await rp.start();
    const secondTokens = await rp.finish(expectCallback(await browser.go(second.url)), second);
    const again = decodeJwt(secondTokens.id_token!);
    expect(again.auth_time).toBe(claims.auth_time);
    expect(again.sid).toBe(claims.sid);
  });

  it('gives every browser session its own sid', async () => {
    const { password } = await server.addUser('sia');
    const sids = [];
    for (let i = 0; i < 2; i += 1) {
      const started = await rp.start();
      const landing = await new HttpUser(server.fetch, server.issuer).signIn(started.url, {
        username: 'sia',
        password,
      });
      sids.push(decodeJwt((await rp.finish(expectCallback(landing), started)).id_token!).sid);
    }
    expect(sids[0]).not.toBe(sids[1]);
  });

  it('pre-fills the username field from login_hint, and signs in with it', async () => {
    const { user, password } = await server.addUser('hinted');
    const browser = new HttpUser(server.fetch, server.issuer);
    const started = await rp.start({ login_hint: 'hinted@example.com' });
    const landing = await browser.go(started.url);
    expect(usernameValue(pageOf(landing))).toBe('hinted@example.com');
    if (landing.kind !== 'page') throw new Error('expected the sign-in page');
    const done = await browser.submit(landing.page, '/password', { username: 'hinted@example.com', password });
    const tokens = await rp.finish(expectCallback(done), started);
    expect(tokens.claims()!.sub).toBe(user.id);
  });

  it('escapes a hostile login_hint instead of letting it into the page', async () => {
    const hostile = '"><script>alert(1)</script><input value="';
    const html = pageOf(
      await new HttpUser(server.fetch, server.issuer).go((await rp.start({ login_hint: hostile })).url),
    );
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(usernameValue(html)).toBe('&#34;&#62;&#60;script&#62;alert(1)&#60;/script&#62;&#60;input value=&#34;');
  });

  it.each([
    ['control characters', 'alice\u0000\u001b[31m'],
    ['more than 320 characters', 'a'.repeat(321)],
  ])('does not pre-fill a login_hint with %s', async (_, hint) => {
    const html = pageOf(await new HttpUser(server.fetch, server.issuer).go((await rp.start({ login_hint: hint })).url));
    expect(usernameValue(html) ?? '').toBe('');
  });
});
