// Two nodes sharing one database (and Redis, when configured), as an operator runs them behind a load
// balancer: a policy published on one (or by the CLI) is enforced by both without a restart, a policy file
// created after start is picked up, and a signing key rotation is staged so that a token signed by either
// node verifies against the JWKS of both at every moment.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { backendName } from '../../helpers/backend.js';
import { HttpUser } from '../../helpers/http-user.js';
import { REDIRECT_URI } from '../../helpers/rp.js';
import { PASSWORD, startServer, type TestServer } from '../../helpers/server.js';
import { adminCli } from '../device-trust/helpers.js';

const POLL = { poll_seconds: 0.2 };
/** Waits until `check` holds (the nodes poll the database by themselves), for at most 15 s. */
async function eventually(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('the nodes did not follow the change within 15 s');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The base URL of a node as a client behind the load balancer reaches it. */
const baseOf = (node: TestServer) => `https://localhost:${node.port}`;

describe(`two nodes [${backendName()}]`, () => {
  let a: TestServer;
  let b: TestServer;
  let client: { clientId: string; clientSecret: string | null };
  let workDir: string;

  beforeAll(async () => {
    a = await startServer({ cluster: POLL });
    b = await startServer({ cluster: POLL }, { join: a });
    client = await a.addClient({ name: 'Cluster RP', redirectUri: [REDIRECT_URI] });
    await a.addUser('nora');
    workDir = mkdtempSync(path.join(tmpdir(), 'latchkey-cluster-'));
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  /** A full code flow against one node; resolves with the redirect (code or error) or the tokens. */
  async function signInAt(node: TestServer): Promise<{ error?: string; idToken?: string }> {
    const browser = new HttpUser(node.fetch, baseOf(node));
    const url = `${baseOf(node)}/auth?${new URLSearchParams({
      client_id: client.clientId,
      response_type: 'code',
      redirect_uri: REDIRECT_URI,
      scope: 'openid',
      nonce: 'n',
    })}`;
    const landing = await browser.signIn(url, { username: 'nora', password: PASSWORD });
    if (landing.kind !== 'callback') throw new Error(`expected the callback, got page ${landing.page.status}`);
    const error = landing.url.searchParams.get('error');
    if (error) return { error };
    const response = await node.fetch(`${baseOf(node)}/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: landing.url.searchParams.get('code')!,
        redirect_uri: REDIRECT_URI,
      }).toString(),
    });
    return { idToken: ((await response.json()) as { id_token: string }).id_token };
  }

  async function jwksOf(node: TestServer): Promise<JSONWebKeySet> {
    return (await (await node.fetch(`${baseOf(node)}/jwks`)).json()) as JSONWebKeySet;
  }

  const kids = (jwks: JSONWebKeySet) => jwks.keys.map((key) => key.kid).sort();

  async function verifiesOnBoth(idToken: string): Promise<void> {
    for (const node of [a, b]) {
      const { payload } = await jwtVerify(idToken, createLocalJWKSet(await jwksOf(node)), {
        issuer: a.issuer,
        audience: client.clientId,
      });
      expect(payload.sub).toBeDefined();
    }
  }

  it('enforces a policy published by the CLI on both nodes, and reports that both applied it', async () => {
    expect((await signInAt(b)).idToken).toBeDefined();
    const file = path.join(workDir, 'deny.yaml');
    writeFileSync(
      file,
      `default: allow\npolicies:\n  - name: cluster-deny\n    state: enabled\n    targets:\n      clients: [${client.clientId}]\n    outcome: deny\n`,
    );
    const reload = await adminCli(a, { LATCHKEY_POLICIES: file })(['policy', 'reload']);
    expect(reload.stderr).toBe('');
    expect(reload.stdout).toMatch(/deny\.yaml: 1 policy, published as version \d+/);
    expect(reload.stdout).toContain('applied by 2 of 2 live node(s)');
    expect(await signInAt(a)).toEqual({ error: 'access_denied' });
    expect(await signInAt(b)).toEqual({ error: 'access_denied' });
  });

  it('picks up config/policies.yaml created after the nodes started', async () => {
    // Run where no LATCHKEY_POLICIES is set and config/policies.yaml appears later, as an operator would.
    mkdirSync(path.join(workDir, 'config'), { recursive: true });
    writeFileSync(path.join(workDir, 'config', 'policies.yaml'), 'default: allow\npolicies: []\n');
    const reload = await adminCli(a, {}, workDir)(['policy', 'reload']);
    expect(reload.stderr).toBe('');
    expect(reload.stdout).toContain(`${path.join(workDir, 'config', 'policies.yaml')}: 0 policies, published`);
    expect(reload.stdout).toContain('applied by 2 of 2 live node(s)');
    expect((await signInAt(b)).idToken).toBeDefined();
  });

  it('publishes a rotated key on both nodes before either signs with it, then both sign with it', async () => {
    const before = kids(await jwksOf(a));
    expect(kids(await jwksOf(b))).toEqual(before);
    const oldToken = (await signInAt(a)).idToken!;
    const oldKid = decodeProtectedHeader(oldToken).kid;

    // The activation time is an hour away, so nothing a slow machine does can pass it before we say so.
    const added = await a.app.services.keys.rotateSigningKeys(3600);
    const all = [...before, ...added.map((k) => k.kid)].sort();
    await eventually(async () =>
      (await Promise.all([a, b].map(jwksOf))).every((jwks) => kids(jwks).join() === all.join()),
    );
    // Pending: published everywhere, signing nowhere.
    for (const node of [a, b]) {
      const token = (await signInAt(node)).idToken!;
      expect(decodeProtectedHeader(token).kid).toBe(oldKid);
      await verifiesOnBoth(token);
    }

    // The activation time comes (as an hour passing would have it), and the nodes notice within a poll.
    await a.app.services
      .db('signing_keys')
      .whereIn(
        'kid',
        added.map((k) => k.kid),
      )
      .update({ activates_at: Date.now() });
    const newKid = added.find((k) => k.alg === 'RS256')!.kid;
    await eventually(async () =>
      (await Promise.all([a, b].map(async (node) => decodeProtectedHeader((await signInAt(node)).idToken!).kid))).every(
        (kid) => kid === newKid,
      ),
    );
    for (const node of [a, b]) {
      const token = (await signInAt(node)).idToken!;
      expect(decodeProtectedHeader(token).kid).toBe(newKid);
      await verifiesOnBoth(token);
    }
    await verifiesOnBoth(oldToken);
  });
});
