// Hostile and mistaken requests: each gets the right error, in the right place (at the redirect_uri
// only when it is registered), and leaves nothing behind.
import https from 'node:https';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { currentTotp } from '../../../src/credentials/totp.js';
import { startServer, type TestServer } from '../../helpers/server.js';
import { HttpUser, expectCallback } from '../../helpers/http-user.js';
import { oauthError, relyingParty, REDIRECT_URI, type RelyingParty } from '../../helpers/rp.js';
import { backendName } from '../../helpers/backend.js';

describe(`bad input [${backendName()}]`, () => {
  let server: TestServer;
  let rp: RelyingParty;
  let clientId: string;

  beforeAll(async () => {
    server = await startServer();
    const client = await server.addClient({ name: 'Bad input RP', redirectUri: [REDIRECT_URI] });
    clientId = client.clientId;
    rp = await relyingParty(server, client.clientId, client.clientSecret);
    await server.addUser('wendy');
    await server.addUser('otto', { totp: true });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('refuses a wrong password with a clear message, records it, and lets the right one through', async () => {
    const user = new HttpUser(server.fetch, server.issuer);
    const started = await rp.start();
    const first = await user.go(started.url);
    if (first.kind !== 'page') throw new Error('expected the sign-in page');
    const wrong = await user.submit(first.page, '/password', {
      username: 'wendy',
      password: 'not the password at all',
    });
    if (wrong.kind !== 'page') throw new Error('expected the sign-in page again');
    expect(wrong.page.status).toBe(401);
    expect(wrong.page.html).toContain('The username or password is incorrect.');
    expect(wrong.page.html).toContain('role="alert"');
    const events = await server.app.services.audit.search({ username: 'wendy', event: 'login.password' });
    expect(events[0]).toMatchObject({ outcome: 'failure', reasons: ['wrong password'], clientId });
    const right = await user.submit(wrong.page, '/password', {
      username: 'wendy',
      password: 'correct horse battery staple',
    });
    const tokens = await rp.finish(expectCallback(right), started);
    expect(tokens.claims()!.email).toBe('wendy@example.com');
  });

  it('refuses a wrong TOTP code and a code that was already used', async () => {
    const { totpSecret } = { totpSecret: await totpSecretOf(server, 'otto') };
    const user = new HttpUser(server.fetch, server.issuer);
    const started = await rp.start();
    const login = await user.go(started.url);
    if (login.kind !== 'page') throw new Error('expected the sign-in page');
    const totp = await user.submit(login.page, '/password', {
      username: 'otto',
      password: 'correct horse battery staple',
    });
    if (totp.kind !== 'page') throw new Error('expected the TOTP page');
    const wrong = await user.submit(totp.page, '/totp', {
      otp: '000000' === currentTotp(totpSecret, Date.now()) ? '111111' : '000000',
    });
    if (wrong.kind !== 'page') throw new Error('expected the TOTP page again');
    expect(wrong.page.status).toBe(401);
    expect(wrong.page.html).toContain('That code is not valid');
    const code = currentTotp(totpSecret, Date.now());
    expectCallback(await user.submit(wrong.page, '/totp', { otp: code }));

    // The same code in a second sign-in within the same time step is refused (replay).
    const other = new HttpUser(server.fetch, server.issuer);
    const again = await rp.start();
    const page = await other.go(again.url);
    if (page.kind !== 'page') throw new Error('expected the sign-in page');
    const second = await other.submit(page.page, '/password', {
      username: 'otto',
      password: 'correct horse battery staple',
    });
    if (second.kind !== 'page') throw new Error('expected the TOTP page');
    const replay = await other.submit(second.page, '/totp', { otp: code });
    expect(replay.kind).toBe('page');
    if (replay.kind === 'page') expect(replay.page.status).toBe(401);
  });

  it('refuses a replayed authorization code and revokes what the first exchange issued', async () => {
    const started = await rp.start();
    const callback = expectCallback(
      await new HttpUser(server.fetch, server.issuer).signIn(started.url, {
        username: 'wendy',
        password: 'correct horse battery staple',
      }),
    );
    const tokens = await rp.finish(callback, started);
    await expect(rp.finish(callback, started)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect(await oauthError(oidc.fetchUserInfo(rp.config, tokens.access_token, oidc.skipSubjectCheck))).toEqual({
      status: 401,
      error: 'invalid_token',
    });
  });

  describe('a NUL byte (refused by PostgreSQL) is invalid input on every backend alike', () => {
    const post = (endpoint: string, fields: Record<string, string>) =>
      server.fetch(`${server.issuer}${endpoint}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(fields).toString(),
      });

    it.each([
      ['/token', { grant_type: 'client_credentials', client_id: 'a\u0000b', client_secret: 'x' }],
      ['/token/introspection', { token: 'x', client_id: 'a\u0000b', client_secret: 'x' }],
      ['/token/revocation', { token: 'x', client_id: 'a\u0000b', client_secret: 'x' }],
      ['/request', { client_id: 'a\u0000b', client_secret: 'x', response_type: 'code', scope: 'openid' }],
    ])('answers invalid_client at %s for a client_id with a NUL byte', async (endpoint, fields) => {
      const response = await post(endpoint, fields);
      expect(response.status).toBe(401);
      expect(((await response.json()) as { error: string }).error).toBe('invalid_client');
    });

    it('answers a token with a NUL byte as unknown (introspection: inactive)', async () => {
      const { clientId: serviceId, clientSecret } = await server.addClient({
        name: 'NUL introspector',
        grantType: ['client_credentials'],
      });
      const response = await post('/token/introspection', {
        token: 'abc\u0000def',
        client_id: serviceId,
        client_secret: clientSecret!,
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ active: false });
    });

    it('shows an error page at end-session for a client_id with a NUL byte', async () => {
      const response = await server.fetch(`${server.issuer}/session/end?client_id=a%00b`, {
        headers: { accept: 'text/html' },
      });
      expect(response.status).toBe(400);
      expect(await response.text()).toContain('Sign-in cannot continue');
    });

    it('refuses a username with a NUL byte as not valid, before any lookup', async () => {
      const user = new HttpUser(server.fetch, server.issuer);
      const login = await user.go((await rp.start()).url);
      if (login.kind !== 'page') throw new Error('expected the sign-in page');
      const refused = await user.submit(login.page, '/password', {
        username: 'wen\u0000dy',
        password: 'whatever it is',
      });
      expect(refused.kind === 'page' && refused.page.status).toBe(400);
      expect(refused.kind === 'page' && refused.page.html).toContain('That is not a valid username or email address.');
    });
  });

  it('answers 413 to a sign-in form over the size limit, without a stack in the log', async () => {
    const user = new HttpUser(server.fetch, server.issuer);
    const login = await user.go((await rp.start()).url);
    if (login.kind !== 'page') throw new Error('expected the sign-in page');
    const big = await user.submit(login.page, '/password', { username: 'wendy', password: 'x'.repeat(20_000) });
    expect(big.kind === 'page' && big.page.status).toBe(413);
    expect(big.kind === 'page' && big.page.html).toContain('The submitted form is too large.');
  });

  it('refuses a wrong PKCE verifier', async () => {
    const started = await rp.start();
    const callback = expectCallback(
      await new HttpUser(server.fetch, server.issuer).signIn(started.url, {
        username: 'wendy',
        password: 'correct horse battery staple',
      }),
    );
    await expect(rp.finish(callback, { ...started, verifier: oidc.randomPKCECodeVerifier() })).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });

  it('never redirects to an unregistered redirect_uri: it shows an error page instead', async () => {
    const started = await rp.start();
    const url = new URL(started.url);
    url.searchParams.set('redirect_uri', 'https://attacker.example/steal');
    const response = await server.fetch(url.toString(), { redirect: 'manual', headers: { accept: 'text/html' } });
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    const html = await response.text();
    expect(html).toContain('Sign-in cannot continue');
    expect(html).toContain('redirect_uri');
    expect(html).not.toContain('attacker.example/steal"');
  });

  it('shows an error page (no redirect) for an unknown client', async () => {
    const url = new URL(`${server.issuer}/auth`);
    url.search = new URLSearchParams({
      client_id: 'no-such-client',
      response_type: 'code',
      scope: 'openid',
      redirect_uri: REDIRECT_URI,
    }).toString();
    const response = await server.fetch(url.toString(), { redirect: 'manual', headers: { accept: 'text/html' } });
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    expect(await response.text()).toContain('invalid_client');
  });

  it('answers malformed authorization requests with an OAuth error at the registered redirect_uri', async () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ response_type: 'token' }, 'unsupported_response_type'],
      [{ code_challenge_method: 'plain' }, 'invalid_request'],
      [{ prompt: 'none' }, 'login_required'],
    ];
    for (const [params, error] of cases) {
      const started = await rp.start(params);
      const landing = await new HttpUser(server.fetch, server.issuer).go(started.url);
      const callback = expectCallback(landing);
      // Errors travel in the response mode of the requested response_type: the fragment for "token".
      const answer = callback.hash ? new URLSearchParams(callback.hash.slice(1)) : callback.searchParams;
      expect(answer.get('error')).toBe(error);
      expect(answer.get('state')).toBe(started.state);
    }
  });

  it('refuses an interaction post without a valid CSRF token and changes nothing', async () => {
    const user = new HttpUser(server.fetch, server.issuer);
    const started = await rp.start();
    const page = await user.go(started.url);
    if (page.kind !== 'page') throw new Error('expected the sign-in page');
    const before = (await server.app.services.audit.search({ username: 'wendy' })).length;
    const forged = await user.go(
      new URL(/action="([^"]+\/password)"/.exec(page.page.html)![1]!, server.issuer).toString(),
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          csrf: 'forged',
          username: 'wendy',
          password: 'correct horse battery staple',
        }).toString(),
      },
    );
    expect(forged.kind).toBe('page');
    if (forged.kind === 'page') expect(forged.page.status).toBe(403);
    expect((await server.app.services.audit.search({ username: 'wendy' })).length).toBe(before);
  });

  it('explains an expired or foreign interaction instead of failing obscurely', async () => {
    const response = await server.fetch(`${server.issuer}/interaction/not-a-real-interaction`, {
      headers: { accept: 'text/html' },
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('This sign-in page has expired');
  });

  it('refuses an absolute-form request target that would rewrite discovery URLs', async () => {
    const tls = await import('node:tls');
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = tls.connect(
        { host: '127.0.0.1', port: server.port, ca: server.app.tls.cert, servername: 'localhost' },
        () => {
          socket.write(
            `GET https://evil.example/.well-known/openid-configuration HTTP/1.1\r\nHost: localhost:${server.port}\r\nConnection: close\r\n\r\n`,
          );
        },
      );
      let data = '';
      socket.on('data', (chunk: Buffer) => (data += chunk.toString()));
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400/);
    expect(answer).not.toContain('evil.example/token');
  });

  it('refuses requests naming another host (421), so discovery cannot be poisoned', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      https
        .get(
          {
            host: '127.0.0.1',
            port: server.port,
            path: '/.well-known/openid-configuration',
            headers: { host: 'evil.example' },
            ca: server.app.tls.cert,
            servername: 'localhost',
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        )
        .on('error', reject);
    });
    expect(status).toBe(421);
  });
});

async function totpSecretOf(server: TestServer, username: string): Promise<string> {
  const user = await server.app.services.users.require(username);
  return server.app.services.box.openText(user.totpSecretSealed!, 'totp-secret');
}
