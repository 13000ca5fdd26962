// The account page signs in through the same policies as every application, and the account-page rule
// keeps it reachable (with the user's strongest MFA) where a policy denies unmanaged devices.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startServer, PASSWORD, type TestServer } from '../../helpers/server.js';
import { HttpUser, expectCallback } from '../../helpers/http-user.js';
import { relyingParty, REDIRECT_URI } from '../../helpers/rp.js';
import { backendName } from '../../helpers/backend.js';

const POLICIES = `
default: allow
policies:
  - name: trusted-devices-only
    state: enabled
    conditions: { device: [unmanaged] }
    outcome: deny
`;

describe(`account page [${backendName()}]`, () => {
  let server: TestServer;

  beforeAll(async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'latchkey-account-')), 'policies.yaml');
    writeFileSync(file, POLICIES);
    server = await startServer({ policies: { file } });
    await server.addUser('ada', { totp: true });
    await server.addUser('bob');
  });
  afterAll(async () => {
    await server?.close();
  });

  function totpOf(username: string): Promise<string> {
    return server.app.services.users
      .require(username)
      .then((u) => server.app.services.box.openText(u.totpSecretSealed!, 'totp-secret'));
  }

  it('denies an ordinary application from an unmanaged device', async () => {
    const { clientId, clientSecret } = await server.addClient({ name: 'Intranet', redirectUri: [REDIRECT_URI] });
    const rp = await relyingParty(server, clientId, clientSecret);
    const callback = expectCallback(await new HttpUser(server.fetch, server.issuer).go((await rp.start()).url));
    expect(callback.searchParams.get('error')).toBe('access_denied');
    // The person reads why (no device certificate), never the policy's internal name.
    expect(callback.searchParams.get('error_description')).toBe(
      'Your organisation does not allow this sign-in. No device certificate was presented: this browser is not on a device enrolled with Latchkey.',
    );
  });

  it('still lets a user reach /account from that device, with their strongest MFA', async () => {
    const browser = new HttpUser(server.fetch, server.issuer);
    const landing = await browser.signIn(`${server.issuer}/account`, {
      username: 'ada',
      password: PASSWORD,
      totpSecret: await totpOf('ada'),
    });
    if (landing.kind !== 'page') throw new Error('expected the account page');
    expect(landing.page.status).toBe(200);
    expect(landing.page.html).toContain('Your account');
    expect(landing.page.html).toContain('ada@example.com');
    const [decision] = await server.app.services.audit.search({ username: 'ada', event: 'policy.decision' });
    expect(decision?.detail?.basis).toBe('account_page_rule');
    const complete = await server.app.services.audit.search({ username: 'ada', event: 'login.complete' });
    expect(complete[0]?.reasons.join(' ')).toContain('otp');
    // The signed cookie keeps the page open without another sign-in.
    const again = await browser.go(`${server.issuer}/account`);
    expect(again.kind === 'page' && again.page.html.includes('Your account')).toBe(true);

    // Revoking the user's sessions ends the account page's too: the next visit signs in again.
    await server.app.services.revokeSessions((await server.app.services.users.require('ada')).id);
    const afterRevoke = await browser.go(`${server.issuer}/account`);
    expect(afterRevoke.kind === 'page' && afterRevoke.page.html.includes('name="password"')).toBe(true);
  });

  it('explains the refusal to a user who has no second factor at all', async () => {
    const landing = await new HttpUser(server.fetch, server.issuer).signIn(`${server.issuer}/account`, {
      username: 'bob',
      password: PASSWORD,
    });
    if (landing.kind !== 'page') throw new Error('expected an error page');
    expect(landing.page.status).toBe(400);
    expect(landing.page.html).toContain('multi-factor authentication');
  });

  it('refuses a forged or replayed callback', async () => {
    const response = await server.fetch(`${server.issuer}/account/callback?code=forged&state=forged`, {
      redirect: 'manual',
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('This sign-in link has expired');
  });
});
