// Clients, users, the device CA and shared settings are read on nearly every request, so each node keeps
// them in memory (cluster.cache_revalidate_seconds). What must still hold with two nodes on one database: a
// client removed, a user disabled or certificate distribution turned off by the CLI (another process), or a
// change by plain SQL that bypasses Latchkey, takes effect on both nodes within the revalidation time; a
// revoked certificate is refused at once everywhere (revocation is never cached); and the cache does save
// the reads it is there for.
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { backendName } from '../../helpers/backend.js';
import { msUntil } from '../../helpers/eventually.js';
import { HttpUser } from '../../helpers/http-user.js';
import { REDIRECT_URI } from '../../helpers/rp.js';
import { PASSWORD, startServer, type TestServer } from '../../helpers/server.js';
import { adminCli, enrolledDevice } from '../device-trust/helpers.js';

const REVALIDATE_SECONDS = 1;
/** The bound the nodes promise, plus room for a loaded test machine. */
const WITHIN_MS = REVALIDATE_SECONDS * 1000 + 1500;

const baseOf = (node: TestServer) => `https://localhost:${node.port}`;
const basic = (id: string, secret: string | null) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

describe(`cached clients and users on two nodes [${backendName()}]`, () => {
  let a: TestServer;
  let b: TestServer;
  const settings = { cluster: { cache_revalidate_seconds: REVALIDATE_SECONDS } };

  beforeAll(async () => {
    a = await startServer(settings);
    b = await startServer(settings, { join: a });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  async function clientCredentials(node: TestServer, client: { clientId: string; clientSecret: string | null }) {
    const response = await node.fetch(`${baseOf(node)}/token`, {
      method: 'POST',
      headers: {
        authorization: basic(client.clientId, client.clientSecret),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    return { status: response.status, body: (await response.json()) as { access_token?: string; error?: string } };
  }

  /** A code flow at `node` for `username`; resolves with the access token. */
  async function accessTokenAt(node: TestServer, username: string): Promise<string> {
    const client = await node.addClient({ name: `RP of ${username}`, redirectUri: [REDIRECT_URI] });
    const browser = new HttpUser(node.fetch, baseOf(node));
    const url = `${baseOf(node)}/auth?${new URLSearchParams({
      client_id: client.clientId,
      response_type: 'code',
      redirect_uri: REDIRECT_URI,
      scope: 'openid',
      nonce: 'n',
    })}`;
    const landing = await browser.signIn(url, { username, password: PASSWORD });
    if (landing.kind !== 'callback') throw new Error(`expected the callback, got page ${landing.page.status}`);
    const response = await node.fetch(`${baseOf(node)}/token`, {
      method: 'POST',
      headers: {
        authorization: basic(client.clientId, client.clientSecret),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: landing.url.searchParams.get('code')!,
        redirect_uri: REDIRECT_URI,
      }).toString(),
    });
    return ((await response.json()) as { access_token: string }).access_token;
  }

  const userinfoStatus = async (node: TestServer, token: string) =>
    (await node.fetch(`${baseOf(node)}/me`, { headers: { authorization: `Bearer ${token}` } })).status;

  it('reads a client from the database once for a burst of 20 token requests', async () => {
    const client = await a.addClient({ name: 'Burst service', grantType: ['client_credentials'] });
    expect((await clientCredentials(a, client)).status).toBe(200);
    let reads = 0;
    const count = (query: { sql: string }) => {
      if (/from [`"]clients[`"]/.test(query.sql)) reads += 1;
    };
    a.app.services.db.on('query', count);
    try {
      const results = await Promise.all(Array.from({ length: 20 }, () => clientCredentials(a, client)));
      expect(results.map((result) => result.status)).toEqual(Array(20).fill(200));
    } finally {
      a.app.services.db.off('query', count);
    }
    expect(reads).toBeLessThanOrEqual(1);
  });

  it('refuses a client removed by the CLI on both nodes within the revalidation time', async () => {
    const client = await a.addClient({ name: 'Removed service', grantType: ['client_credentials'] });
    for (const node of [a, b]) expect((await clientCredentials(node, client)).status).toBe(200);
    const removed = await adminCli(a)(['clients', 'remove', client.clientId]);
    expect(removed.status).toBe(0);
    const refused = async (node: TestServer) => (await clientCredentials(node, client)).body.error === 'invalid_client';
    expect(
      await msUntil(async () => (await refused(a)) && (await refused(b)), 'both nodes refusing the client'),
    ).toBeLessThan(WITHIN_MS);
    // And it stays refused: no node answers from an older copy afterwards.
    for (const node of [a, b]) expect(await refused(node)).toBe(true);
  });

  it("refuses a user disabled by the CLI on both nodes within the revalidation time, on the other node's token too", async () => {
    await a.addUser('olga');
    const token = await accessTokenAt(a, 'olga');
    for (const node of [a, b]) expect(await userinfoStatus(node, token)).toBe(200);
    const disabled = await adminCli(a)(['users', 'disable', 'olga']);
    expect(disabled.status).toBe(0);
    const refused = async () => (await userinfoStatus(a, token)) === 401 && (await userinfoStatus(b, token)) === 401;
    expect(await msUntil(refused, 'both nodes refusing the disabled user')).toBeLessThan(WITHIN_MS);
  });

  it('follows a change made with plain SQL, which no repository saw', async () => {
    const { user } = await a.addUser('pavel');
    const token = await accessTokenAt(b, 'pavel');
    for (const node of [a, b]) expect(await userinfoStatus(node, token)).toBe(200);
    await a.app.services.db('users').where({ id: user.id }).update({ disabled: true });
    const refused = async () => (await userinfoStatus(a, token)) === 401 && (await userinfoStatus(b, token)) === 401;
    expect(await msUntil(refused, 'both nodes refusing the user disabled in SQL')).toBeLessThan(WITHIN_MS);
  });

  it('refuses at once on the node whose own store made the change', async () => {
    const { user } = await a.addUser('quinn');
    const token = await accessTokenAt(a, 'quinn');
    expect(await userinfoStatus(a, token)).toBe(200);
    await a.app.services.users.setDisabled(user.id, true);
    expect(await userinfoStatus(a, token)).toBe(401);
  });

  describe('device checks', () => {
    let der: Uint8Array;
    let serial: string;
    const statusAt = async (node: TestServer) => (await node.app.services.deviceTrust.check(der)).status;

    beforeAll(async () => {
      await a.app.services.deviceTrust.initCa({ actor: 'test' });
      await a.addUser('rita');
      const device = await enrolledDevice(a, 'rita');
      der = new Uint8Array(new X509Certificate(device.certificatePem).raw);
      serial = device.serial;
    });

    it('reads the CA from the database once, not for each check', async () => {
      expect(await statusAt(a)).toBe('trusted');
      let reads = 0;
      const count = (query: { sql: string }) => {
        if (/from [`"]ca_certificates[`"]/.test(query.sql)) reads += 1;
      };
      a.app.services.db.on('query', count);
      try {
        for (let i = 0; i < 10; i += 1) expect(await statusAt(a)).toBe('trusted');
      } finally {
        a.app.services.db.off('query', count);
      }
      expect(reads).toBe(0);
    });

    it('makes every device unmanaged on both nodes at once when the CLI turns distribution off (a kill switch)', async () => {
      for (const node of [a, b]) expect(await statusAt(node)).toBe('trusted');
      expect((await adminCli(a)(['devices', 'distribution', 'off'])).status).toBe(0);
      try {
        expect([await statusAt(a), await statusAt(b)]).toEqual(['unmanaged', 'unmanaged']);
      } finally {
        await a.app.services.deviceTrust.setDistribution(true, { actor: 'test' });
      }
      expect([await statusAt(a), await statusAt(b)]).toEqual(['trusted', 'trusted']);
    });

    it('refuses a certificate revoked on one node at once on the other', async () => {
      expect(await statusAt(b)).toBe('trusted');
      await a.app.services.deviceTrust.revokeCertificate(serial, { reason: 'keyCompromise', actor: 'test' });
      expect(await statusAt(b)).toBe('revoked');
    });
  });
});
