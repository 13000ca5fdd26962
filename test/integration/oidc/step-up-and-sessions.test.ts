// acr_values step-up (never a loop), revoking every session of a user at once, disabled users, and
// failed-attempt limits.
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { currentTotp, newTotpSecret, TOTP_SECRET_PURPOSE } from '../../../src/credentials/totp.js';
import { startServer, type TestServer } from '../../helpers/server.js';
import { HttpUser, expectCallback } from '../../helpers/http-user.js';
import { oauthError, relyingParty, REDIRECT_URI, type RelyingParty } from '../../helpers/rp.js';
import { backendName } from '../../helpers/backend.js';

const MFA = 'urn:latchkey:acr:mfa';
const PASSWORD = 'correct horse battery staple';

describe(`step-up and sessions [${backendName()}]`, () => {
  let server: TestServer;
  let rp: RelyingParty;

  beforeAll(async () => {
    server = await startServer({ security: { rate_limits: { login_per_user: { max: 3, window_seconds: 600 } } } });
    const client = await server.addClient({ name: 'Step-up RP', redirectUri: [REDIRECT_URI] });
    rp = await relyingParty(server, client.clientId, client.clientSecret);
  });
  afterAll(async () => {
    await server?.close();
  });

  it('ends with unmet_authentication_requirements, not a loop, when acr_values ask for MFA the user lacks', async () => {
    await server.addUser('paula');
    const user = new HttpUser(server.fetch, server.issuer);
    const first = await rp.start();
    await rp.finish(expectCallback(await user.signIn(first.url, { username: 'paula', password: PASSWORD })), first);

    const stepUp = await rp.start({ acr_values: MFA });
    const callback = expectCallback(await user.go(stepUp.url));
    expect(callback.searchParams.get('error')).toBe('unmet_authentication_requirements');
    expect(callback.searchParams.get('error_description')).toMatch(/multi-factor/);
    expect(callback.searchParams.get('state')).toBe(stepUp.state);
  });

  it('steps up an existing password session with TOTP only, keeping the user', async () => {
    const { user: account } = await server.addUser('stella');
    const browser = new HttpUser(server.fetch, server.issuer);
    const first = await rp.start();
    const plain = await rp.finish(
      expectCallback(await browser.signIn(first.url, { username: 'stella', password: PASSWORD })),
      first,
    );
    expect(plain.claims()!.acr).toBe('urn:latchkey:acr:pwd');

    const secret = newTotpSecret();
    await server.app.services.users.setTotp(account.id, server.app.services.box.seal(secret, TOTP_SECRET_PURPOSE));
    const stepUp = await rp.start({ acr_values: MFA });
    const page = await browser.go(stepUp.url);
    if (page.kind !== 'page') throw new Error('expected the TOTP page');
    expect(page.page.html).toContain('Enter your verification code');
    expect(page.page.html).not.toContain('name="password"');
    const done = await browser.submit(page.page, '/totp', { otp: currentTotp(secret, Date.now()) });
    const claims = (await rp.finish(expectCallback(done), stepUp)).claims()!;
    expect(claims.sub).toBe(account.id);
    expect(claims.acr).toBe(MFA);
    expect(claims.amr).toEqual(expect.arrayContaining(['pwd', 'otp', 'mfa']));
  });

  it('ignores acr_values it does not know (they are voluntary)', async () => {
    const { password } = await server.addUser('vera');
    const started = await rp.start({ acr_values: 'urn:example:unknown' });
    const tokens = await rp.finish(
      expectCallback(
        await new HttpUser(server.fetch, server.issuer).signIn(started.url, { username: 'vera', password }),
      ),
      started,
    );
    expect(tokens.claims()!.acr).toBe('urn:latchkey:acr:pwd');
  });

  it('revoke-sessions ends every session, grant and refresh token of the user at once', async () => {
    const { user: account } = await server.addUser('remy');
    const browser = new HttpUser(server.fetch, server.issuer);
    const started = await rp.start({ scope: 'openid offline_access', prompt: 'consent' });
    const tokens = await rp.finish(
      expectCallback(await browser.signIn(started.url, { username: 'remy', password: PASSWORD })),
      started,
    );
    const removed = await server.app.services.revokeSessions(account.id);
    expect(removed).toBeGreaterThan(0);
    await expect(oidc.refreshTokenGrant(rp.config, tokens.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    expect(await oauthError(oidc.fetchUserInfo(rp.config, tokens.access_token, account.id))).toEqual({
      status: 401,
      error: 'invalid_token',
    });
    const silent = await rp.start({ prompt: 'none' });
    expect(expectCallback(await browser.go(silent.url)).searchParams.get('error')).toBe('login_required');
  });

  it('tells a disabled user their account is disabled, and issues nothing', async () => {
    const { user: account } = await server.addUser('dora');
    await server.app.services.users.setDisabled(account.id, true);
    const landing = await new HttpUser(server.fetch, server.issuer).signIn((await rp.start()).url, {
      username: 'dora',
      password: PASSWORD,
    });
    if (landing.kind !== 'page') throw new Error('expected a page');
    expect(landing.page.status).toBe(403);
    expect(landing.page.html).toContain('This account is disabled');
  });

  it('limits failed attempts per user, even when the right password finally comes', async () => {
    await server.addUser('ravi');
    const browser = new HttpUser(server.fetch, server.issuer);
    const page = await browser.go((await rp.start()).url);
    if (page.kind !== 'page') throw new Error('expected the sign-in page');
    let current = page.page;
    for (let i = 0; i < 3; i += 1) {
      const wrong = await browser.submit(current, '/password', { username: 'ravi', password: `wrong password ${i}!` });
      if (wrong.kind !== 'page') throw new Error('expected the sign-in page');
      expect(wrong.page.status).toBe(401);
      current = wrong.page;
    }
    const blocked = await browser.submit(current, '/password', { username: 'ravi', password: PASSWORD });
    if (blocked.kind !== 'page') throw new Error('expected the sign-in page');
    expect(blocked.page.status).toBe(429);
    expect(blocked.page.html).toContain('Too many failed sign-in attempts');
    const audit = await server.app.services.audit.search({ username: 'ravi', event: 'login.password' });
    expect(audit[0]).toMatchObject({ outcome: 'failure', reasons: ['rate limited'] });
  });
});
