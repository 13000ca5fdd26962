// The registration link from `latchkey-agent passkey-link` (the real agent, enrolled, asking over mutual
// TLS) binds a passkey to the agent's device for its owner only, and the admin CLI lists, shows and
// revokes passkeys.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadAgentState } from '../../../src/agent/state.js';
import { backendName } from '../../helpers/backend.js';
import { HttpUser } from '../../helpers/http-user.js';
import { startServer, type TestServer } from '../../helpers/server.js';
import { adminCli, agentHome, enrollArgs, type AgentHome } from '../device-trust/helpers.js';
import {
  accountUser,
  lastAudit,
  optionsOf,
  pageOf,
  passkeyRows,
  postAssertion,
  postRegistration,
  softAuthenticator,
} from './helpers.js';

describe(`passkey registration links and the admin CLI [${backendName()}]`, () => {
  let server: TestServer;
  let laptop: AgentHome;
  let deviceId: string;
  const secrets: Record<string, string> = {};

  beforeAll(async () => {
    server = await startServer();
    secrets.lena = (await server.addUser('lena', { totp: true })).totpSecret!;
    secrets.mallory = (await server.addUser('mallory', { totp: true })).totpSecret!;
    const trust = server.app.services.deviceTrust;
    await trust.initCa({ actor: 'test' });
    laptop = agentHome();
    const { token } = await trust.createEnrollmentToken('lena', { actor: 'test' });
    expect((await laptop.run(enrollArgs(server, token))).status).toBe(0);
    deviceId = (await loadAgentState(laptop.stateDir))!.deviceId;
  });
  afterAll(async () => {
    laptop?.dispose();
    await server?.close();
  });

  async function linkFromAgent(): Promise<string> {
    const result = await laptop.run(['passkey-link']);
    expect(result.status).toBe(0);
    const url = /https:\/\/\S+\/account\/passkeys\/link\?token=\S+/.exec(result.stdout)?.[0];
    expect(url).toBeDefined();
    return url!;
  }

  it('sends a browser without an account session to sign in first: the link alone registers nothing', async () => {
    const landing = pageOf(await new HttpUser(server.fetch, server.issuer).go(await linkFromAgent()));
    expect(landing.html).toContain('name="password"');
    expect(await passkeyRows(server)).toBe(0);
  });

  it('refuses the link to another account, and stores nothing', async () => {
    const url = await linkFromAgent();
    const mallory = await accountUser(server, 'mallory', secrets.mallory!);
    const page = pageOf(await mallory.go(url));
    expect(page.status).toBe(400);
    expect(page.html).toContain('made on a device enrolled to another account');
    expect((await lastAudit(server, 'passkey.link'))?.reasons).toEqual(['ERR_PASSKEY_LINK_OTHER_USER']);
    expect(await passkeyRows(server)).toBe(0);
  });

  it("binds the passkey registered through the link to the agent's device, once", async () => {
    const url = await linkFromAgent();
    const lena = await accountUser(server, 'lena', secrets.lena!);
    const page = pageOf(await lena.go(url));
    expect(page.html).toContain('It will be bound to this device');
    const authenticator = softAuthenticator(server);
    expect((await postRegistration(lena, server, page, authenticator.register(optionsOf(page.html)))).status).toBe(303);
    const [row] = await server.app.services.db('passkeys').where({ credential_id: authenticator.id });
    expect(row.device_id).toBe(deviceId);
    // Used once: the same link again is refused.
    const again = pageOf(await lena.go(url));
    expect(again.status).toBe(400);
    expect(again.html).toContain('expired or was already used');

    // The admin CLI: list, show, revoke; a revoked passkey is refused at sign-in.
    const cli = adminCli(server);
    const list = await cli(['passkeys', 'list', '--user', 'lena']);
    expect(list.status).toBe(0);
    expect(list.stdout).toContain(row.id);
    expect(list.stdout).toContain('device-bound');
    const show = await cli(['passkeys', 'show', row.id]);
    expect(show.stdout).toMatch(/attestation +none, chain not verified \(amr swk\)/);
    expect(show.stdout).toContain(`device      ${deviceId}`);
    const revoke = await cli(['passkeys', 'revoke', row.id, '--reason', 'laptop lost']);
    expect(revoke).toMatchObject({ status: 0, stdout: `revoked passkey ${row.id} (laptop lost)\n` });
    expect((await cli(['passkeys', 'show', 'no-such-id'])).status).toBe(1);

    const client = await server.addClient({ name: 'App', redirectUri: ['https://rp.example.test/callback'] });
    const browser = new HttpUser(server.fetch, server.issuer);
    const login = pageOf(
      await browser.go(
        `${server.issuer}/auth?${new URLSearchParams({
          client_id: client.clientId,
          response_type: 'code',
          scope: 'openid',
          redirect_uri: 'https://rp.example.test/callback',
        })}`,
      ),
    );
    const refused = pageOf(await postAssertion(browser, server, login, authenticator.assert(optionsOf(login.html))));
    expect(refused.html).toContain('revoked by your administrator');
    expect((await lastAudit(server, 'login.passkey'))?.reasons[0]).toBe('ERR_PASSKEY_REVOKED');
  });
});
