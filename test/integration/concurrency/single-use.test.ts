// Single-use artifacts under parallel requests, as a hostile client would fire them: of N redemptions of
// one authorization code or one refresh token exactly one succeeds, and the lost races revoke the grant
// exactly as a sequential replay does; of N submissions of one TOTP code exactly one counts.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { currentTotp } from '../../../src/credentials/totp.js';
import { backendName } from '../../helpers/backend.js';
import { expectCallback, HttpUser } from '../../helpers/http-user.js';
import { REDIRECT_URI } from '../../helpers/rp.js';
import { PASSWORD, startServer, type TestServer } from '../../helpers/server.js';

const PARALLEL = 20;
/** Races are won or lost in microseconds: several rounds make a broken store show itself every run. */
const ROUNDS = 3;

interface TokenAnswer {
  status: number;
  body: { access_token?: string; refresh_token?: string; error?: string; error_description?: string };
}

describe(`single-use artifacts under parallel requests [${backendName()}]`, () => {
  let server: TestServer;
  let client: { clientId: string; clientSecret: string | null };

  beforeAll(async () => {
    server = await startServer();
    client = await server.addClient({
      name: 'Racer',
      redirectUri: [REDIRECT_URI],
      grantType: ['authorization_code', 'refresh_token'],
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  const basic = () => `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`;

  async function token(params: Record<string, string>): Promise<TokenAnswer> {
    const response = await server.fetch(`${server.issuer}/token`, {
      method: 'POST',
      headers: { authorization: basic(), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(params).toString(),
    });
    return { status: response.status, body: (await response.json()) as TokenAnswer['body'] };
  }

  /** Opens PARALLEL connections first, so the racing requests start together rather than one per handshake. */
  async function warmConnections(): Promise<void> {
    await Promise.all(
      Array.from({ length: PARALLEL }, () =>
        server.fetch(`${server.issuer}/.well-known/openid-configuration`).then((r) => r.arrayBuffer()),
      ),
    );
  }

  async function userinfo(accessToken: string): Promise<number> {
    const response = await server.fetch(`${server.issuer}/me`, { headers: { authorization: `Bearer ${accessToken}` } });
    return response.status;
  }

  /** Signs `username` in and returns a fresh authorization code (no PKCE: a confidential client). */
  async function codeFor(username: string, scope = 'openid'): Promise<string> {
    const url = new URL(`${server.issuer}/auth`);
    url.search = new URLSearchParams({
      client_id: client.clientId,
      response_type: 'code',
      redirect_uri: REDIRECT_URI,
      scope,
      prompt: 'consent',
      state: 'race',
    }).toString();
    const callback = expectCallback(
      await new HttpUser(server.fetch, server.issuer).signIn(url.toString(), { username, password: PASSWORD }),
    );
    return callback.searchParams.get('code')!;
  }

  it(`lets exactly one of ${PARALLEL} parallel redemptions of a code succeed, and the others revoke the grant`, async () => {
    await server.addUser('cody');
    for (let round = 0; round < ROUNDS; round += 1) {
      const code = await codeFor('cody', 'openid offline_access');
      const answers = await Promise.all(
        Array.from({ length: PARALLEL }, () =>
          token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI }),
        ),
      );
      const won = answers.filter((a) => a.status === 200);
      expect({ round, won: won.length }).toEqual({ round, won: 1 });
      const lost = answers.filter((a) => a.status === 400 && a.body.error === 'invalid_grant');
      expect({ round, lost: lost.length }).toEqual({ round, lost: PARALLEL - 1 });
      // The grant is revoked, as for a sequential replay: what the winner got no longer works.
      expect(await userinfo(won[0]!.body.access_token!)).toBe(401);
      const refreshed = await token({ grant_type: 'refresh_token', refresh_token: won[0]!.body.refresh_token! });
      expect(refreshed).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    }
  });

  it('revokes the grant on a sequential replay the same way (the reference behaviour)', async () => {
    await server.addUser('seq');
    const code = await codeFor('seq');
    const first = await token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI });
    expect(first.status).toBe(200);
    expect(await token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI })).toMatchObject({
      status: 400,
      body: { error: 'invalid_grant' },
    });
    expect(await userinfo(first.body.access_token!)).toBe(401);
  });

  it(`lets exactly one of ${PARALLEL} parallel uses of a refresh token succeed, forking nothing`, async () => {
    await server.addUser('rolf');
    for (let round = 0; round < ROUNDS; round += 1) {
      const code = await codeFor('rolf', 'openid offline_access');
      const issued = await token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI });
      const refreshToken = issued.body.refresh_token!;
      await warmConnections();
      const answers = await Promise.all(
        Array.from({ length: PARALLEL }, () => token({ grant_type: 'refresh_token', refresh_token: refreshToken })),
      );
      const won = answers.filter((a) => a.status === 200);
      expect({ round, won: won.length }).toEqual({ round, won: 1 });
      expect(answers.filter((a) => a.body.error === 'invalid_grant')).toHaveLength(PARALLEL - 1);
      // No usable refresh token came out of the race: the lost races revoked the grant.
      const again = await token({ grant_type: 'refresh_token', refresh_token: won[0]!.body.refresh_token! });
      expect(again).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    }
  });

  it('counts one TOTP code once when it is submitted in parallel from several sign-ins', async () => {
    const { totpSecret } = await server.addUser('tess', { totp: true });
    const url = new URL(`${server.issuer}/auth`);
    url.search = new URLSearchParams({
      client_id: client.clientId,
      response_type: 'code',
      redirect_uri: REDIRECT_URI,
      scope: 'openid',
    }).toString();
    const browsers = Array.from({ length: 5 }, () => new HttpUser(server.fetch, server.issuer));
    const totpPages = await Promise.all(
      browsers.map(async (browser) => {
        const login = await browser.go(url.toString());
        if (login.kind !== 'page') throw new Error('expected the sign-in page');
        const next = await browser.submit(login.page, '/password', { username: 'tess', password: PASSWORD });
        if (next.kind !== 'page') throw new Error('expected the TOTP page');
        return next.page;
      }),
    );
    const otp = currentTotp(totpSecret!, Date.now());
    const landings = await Promise.all(browsers.map((browser, i) => browser.submit(totpPages[i]!, '/totp', { otp })));
    expect(landings.filter((landing) => landing.kind === 'callback')).toHaveLength(1);
    const refused = landings.filter((landing) => landing.kind === 'page');
    expect(refused.map((landing) => (landing.kind === 'page' ? landing.page.status : 0))).toEqual([401, 401, 401, 401]);
  });
});
