// Latchkey as Okta's device-trust factor, with an emulated Okta acting as Okta does on the wire, over real
// TLS with browsers presenting real device certificates from the server's own CA: the device alone signs
// the user in (no password page), the claims Okta reads (preferred_username, amr, device_context), what a
// browser without a trusted device gets (access_denied once, or device_context.managed false), login_hint,
// policies, the factor session lifetime, and a revoked device.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { backendName } from '../../helpers/backend.js';
import { msUntil } from '../../helpers/eventually.js';
import { expectCallback, HttpUser } from '../../helpers/http-user.js';
import { EmulatedOkta, type OktaOutcome, type OktaRequest } from '../../helpers/okta.js';
import { startServer, type TestServer } from '../../helpers/server.js';
import { adminCli, deviceBrowsers, enrolledDevice, type DeviceCredentials } from '../device-trust/helpers.js';

describe(`Okta factor [${backendName()}]`, () => {
  let server: TestServer;
  let okta: EmulatedOkta;
  let posture: EmulatedOkta;
  let alice: DeviceCredentials;
  let aliceId: string;
  let browsers: ReturnType<typeof deviceBrowsers>;
  const browserOn = (credentials: DeviceCredentials | null) => browsers.on(credentials);

  beforeAll(async () => {
    server = await startServer({
      cluster: { poll_seconds: 0.2 },
      federation: { compliance: { require_integrity: true, minimum_os_versions: { linux: '6.1' } } },
    });
    await server.app.services.deviceTrust.initCa({ actor: 'test' });
    browsers = deviceBrowsers(server);
    aliceId = (await server.addUser('alice')).user.id;
    await server.addUser('bob');
    await server.addUser('carol');
    const factor = await server.addFactorClient('okta', { oktaDomain: 'acme.okta.com' });
    okta = new EmulatedOkta(server, factor.clientId, factor.clientSecret!);
    const reporting = await server.addFactorClient('okta', {
      oktaDomain: 'posture.okta.com',
      unmanaged: 'device-context',
    });
    posture = new EmulatedOkta(server, reporting.clientId, reporting.clientSecret!, 'posture.okta.com');
    alice = await enrolledDevice(server, 'alice', {
      platform: 'linux',
      osVersion: '6.1.0',
      integrity: 'secure-boot-on',
    });
  });
  afterAll(async () => {
    await browsers?.close();
    await server?.close();
  });

  /** A browser on a device holding `credentials` (or on no enrolled device). */
  /** The user goes from Okta to Latchkey and back: what Okta makes of its callback. */
  async function viaOkta(
    browser: HttpUser,
    idp = okta,
    extra: Record<string, string> = {},
  ): Promise<{ outcome: OktaOutcome; request: OktaRequest }> {
    const request = idp.authorizationRequest(extra);
    const landing = await browser.go(request.url);
    return { outcome: await idp.callback(expectCallback(landing), request), request };
  }

  const signedIn = (outcome: OktaOutcome) => {
    if (outcome.kind !== 'signed-in') throw new Error(`Okta got ${JSON.stringify(outcome)}`);
    return outcome;
  };

  it('signs the device owner in with the device alone: no password page, one request, one callback', async () => {
    const browser = browserOn(alice);
    const before = { requests: okta.authorizationRequests.length, callbacks: okta.callbacks.length };
    const { outcome } = await viaOkta(browser);
    const { claims, userinfo, username } = signedIn(outcome);
    expect(username).toBe('alice@example.com');
    expect(claims).toMatchObject({
      sub: aliceId,
      email: 'alice@example.com',
      acr: 'urn:latchkey:acr:device',
      amr: ['pop', 'swk'],
      device_context: { managed: true, compliant: true, externalId: alice.deviceId },
    });
    expect(typeof claims.auth_time).toBe('number');
    expect(typeof claims.sid).toBe('string');
    expect(userinfo).toMatchObject({ sub: aliceId, device_context: { managed: true, compliant: true } });
    expect(browser.visited.some((url) => /\/interaction\/[^/]+\/password/.test(url))).toBe(false);
    expect(browser.visited.filter((url) => url.includes('/device/sign-in?ref='))).toHaveLength(1);
    expect(okta.authorizationRequests.length - before.requests).toBe(1);
    expect(okta.callbacks.length - before.callbacks).toBe(1);
    expect(await server.app.services.audit.search({ event: 'login.password', userId: aliceId })).toEqual([]);
  });

  it('answers a browser without a trusted device with access_denied and state, once, never a password page', async () => {
    const browser = browserOn(null);
    const before = okta.callbacks.length;
    const { outcome, request } = await viaOkta(browser);
    expect(outcome).toEqual({
      kind: 'error',
      error: 'access_denied',
      description:
        'Okta (acme.okta.com) needs a device enrolled with Latchkey, and this sign-in proved none. No device certificate was presented: this browser is not on a device enrolled with Latchkey.',
      state: request.state,
    });
    expect(okta.callbacks.length - before).toBe(1);
    expect(browser.visited.some((url) => url.includes('/password'))).toBe(false);
  });

  it('tells a device posture client of an unmanaged device with device_context.managed false', async () => {
    const { outcome } = await viaOkta(browserOn(null), posture, { login_hint: 'alice@example.com' });
    const { claims } = signedIn(outcome);
    expect(claims.sub).toBe(aliceId);
    expect(claims.device_context).toEqual({ managed: false, compliant: false });
    expect(claims.amr).toEqual([]);
    expect(claims.acr).toBeUndefined();
    // The managed device of the same user, for the same client.
    const managed = signedIn((await viaOkta(browserOn(alice), posture, { login_hint: 'alice' })).outcome);
    expect(managed.claims.device_context).toEqual({ managed: true, compliant: true, externalId: alice.deviceId });
    // Without a name for the user, an unmanaged device cannot be answered for.
    const unnamed = (await viaOkta(browserOn(null), posture)).outcome;
    expect(unnamed).toMatchObject({ kind: 'error', error: 'access_denied' });
  });

  it('reports a device below the minimum OS version as managed but not compliant', async () => {
    await server.addUser('olga');
    const old = await enrolledDevice(server, 'olga', {
      platform: 'linux',
      osVersion: '5.10',
      integrity: 'secure-boot-on',
    });
    const { claims } = signedIn((await viaOkta(browserOn(old))).outcome);
    expect(claims.device_context).toEqual({ managed: true, compliant: false, externalId: old.deviceId });
  });

  it('requires a login_hint to name the owner of the device proven, saying why it does not', async () => {
    const matching = await viaOkta(browserOn(alice), okta, { login_hint: 'ALICE@example.com' });
    expect(signedIn(matching.outcome).claims.sub).toBe(aliceId);
    const other = await viaOkta(browserOn(alice), okta, { login_hint: 'bob@example.com' });
    expect(other.outcome).toMatchObject({ kind: 'error', error: 'access_denied', state: other.request.state });
    if (other.outcome.kind === 'error') expect(other.outcome.description).toContain('bob@example.com');
    const nobody = await viaOkta(browserOn(alice), okta, { login_hint: 'mallory@example.com' });
    expect(nobody.outcome).toMatchObject({ kind: 'error', error: 'access_denied' });
    if (nobody.outcome.kind === 'error') expect(nobody.outcome.description).toContain('no Latchkey account');
  });

  it("sends the client's own choice of preferred_username", async () => {
    await preferredUsername('username');
    try {
      expect(signedIn((await viaOkta(browserOn(alice))).outcome).username).toBe('alice');
    } finally {
      await preferredUsername('email');
    }
  });

  /** Sets the Okta client's preferred_username through the CLI (another process) and waits until this node
   * has seen it, as an operator would within cluster.cache_revalidate_seconds. */
  async function preferredUsername(field: 'username' | 'email'): Promise<void> {
    const changed = await adminCli(server)(['clients', 'set-factor', okta.clientId, '--preferred-username', field]);
    expect(changed.status).toBe(0);
    await msUntil(
      async () => (await server.app.services.clients.require(okta.clientId)).factor?.preferredUsername === field,
      `the node seeing preferred_username = ${field}`,
    );
  }

  it('reuses the proven device within the factor session lifetime, and checks it again after', async () => {
    const browser = browserOn(alice);
    signedIn((await viaOkta(browser)).outcome);
    const checks = () => browser.visited.filter((url) => url.includes('/device/sign-in?ref=')).length;
    expect(checks()).toBe(1);
    signedIn((await viaOkta(browser)).outcome);
    expect(checks()).toBe(1); // the session answered: no device check, no page
    await server.app.services.clients.setFactor(okta.clientId, {
      ...(await factorOf(okta.clientId)),
      sessionSeconds: 1,
    });
    try {
      await new Promise((resolve) => setTimeout(resolve, 2100)); // proofs are timed in whole seconds
      signedIn((await viaOkta(browser)).outcome);
      expect(checks()).toBe(2);
    } finally {
      await server.app.services.clients.setFactor(okta.clientId, {
        ...(await factorOf(okta.clientId)),
        sessionSeconds: 12 * 3600,
      });
    }
  });

  it('checks again, and refuses, once the device is revoked', async () => {
    await server.addUser('dave');
    const laptop = await enrolledDevice(server, 'dave');
    const browser = browserOn(laptop);
    signedIn((await viaOkta(browser)).outcome);
    await server.app.services.deviceTrust.revokeDevice(laptop.deviceId, { reason: 'keyCompromise', actor: 'test' });
    const { outcome } = await viaOkta(browser);
    expect(outcome).toMatchObject({ kind: 'error', error: 'access_denied' });
  });

  it('still applies policies to factor sign-ins (a group denied), with the policy description', async () => {
    const carolDevice = await enrolledDevice(server, 'carol');
    const group = await server.app.services.groups.create('contractors');
    const carol = (await server.app.services.users.findByUsername('carol'))!;
    await server.app.services.groups.addMember(group.id, carol.id);
    const file = path.join(server.dataDir, 'factor-policies.yaml');
    writeFileSync(
      file,
      `default: { first_party: allow, third_party: allow, factor: allow }
policies:
  - name: no-contractors-through-okta
    description: Contractors sign in through their own company's IdP.
    state: enabled
    targets: { client_types: [factor], groups: [contractors] }
    outcome: deny
`,
    );
    await adminCli(server, { LATCHKEY_POLICIES: file })(['policy', 'reload']);
    await server.app.syncCluster();
    try {
      const { outcome } = await viaOkta(browserOn(carolDevice));
      expect(outcome).toMatchObject({ kind: 'error', error: 'access_denied' });
      if (outcome.kind === 'error')
        expect(outcome.description).toContain("Contractors sign in through their own company's IdP.");
      expect(signedIn((await viaOkta(browserOn(alice))).outcome).claims.sub).toBe(aliceId);
    } finally {
      writeFileSync(file, 'default: { first_party: allow, third_party: allow, factor: allow }\npolicies: []\n');
      await adminCli(server, { LATCHKEY_POLICIES: file })(['policy', 'reload']);
      await server.app.syncCluster();
    }
  });

  async function factorOf(clientId: string) {
    return (await server.app.services.clients.require(clientId)).factor!;
  }
});
