// Latchkey as a Microsoft Entra external authentication method, with an emulated Entra (its own signing key
// and keys URL, an expired id_token_hint for the user, the POSTed implicit request with form_post and a
// claims parameter): the answer carries the hint's sub, the acr Entra asked for and one amr value, signed
// with a key whose JWKS entry has x5c; every bad hint, and a request without one, ends at Entra's
// redirect_uri with an OAuth error and the state.
import { generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { backendName } from '../../helpers/backend.js';
import {
  EmulatedEntra,
  ENTRA_REDIRECT_URI,
  formPostOf,
  type EntraRequest,
  type FormPost,
} from '../../helpers/entra.js';
import { HttpUser } from '../../helpers/http-user.js';
import { startServer, type TestServer } from '../../helpers/server.js';
import { deviceBrowsers, enrolledDevice, type DeviceCredentials } from '../device-trust/helpers.js';

describe(`Microsoft Entra external authentication method [${backendName()}]`, () => {
  let server: TestServer;
  let entra: EmulatedEntra;
  let clientId: string;
  let alice: DeviceCredentials;
  let browsers: ReturnType<typeof deviceBrowsers>;
  const browserOn = (credentials: DeviceCredentials | null) => browsers.on(credentials);

  beforeAll(async () => {
    [server, entra] = await Promise.all([startServer(), EmulatedEntra.start()]);
    await server.app.services.deviceTrust.initCa({ actor: 'test' });
    browsers = deviceBrowsers(server);
    await server.addUser('alice');
    await server.addUser('bob');
    clientId = (
      await server.addFactorClient('entra', {
        tenantId: entra.tenantId,
        entraJwksUri: entra.jwksUri,
        appId: 'entra-app',
      })
    ).clientId;
    alice = await enrolledDevice(server, 'alice');
  });
  afterAll(async () => {
    await browsers?.close();
    await entra?.close();
    await server?.close();
  });

  /** The browser POSTs Entra's request and is answered with a form_post page back to Entra. */
  async function post(browser: HttpUser, request: EntraRequest): Promise<FormPost> {
    const landing = await browser.go(`${server.issuer}/auth`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: request.body.toString(),
    });
    if (landing.kind !== 'page') throw new Error(`expected a form_post page, went to ${landing.url.toString()}`);
    const answer = formPostOf(landing.page.html);
    expect(answer.action).toBe(ENTRA_REDIRECT_URI);
    return answer;
  }

  it("answers with the hint's sub, the acr asked for and one amr value, after checking the device", async () => {
    const browser = browserOn(alice);
    const request = entra.request(clientId, await entra.hint(clientId, { sub: 'alice-in-entra' }));
    const answer = await post(browser, request);
    expect(answer.fields.state).toBe(request.state);
    const claims = await entra.verifyAnswer(server, answer.fields.id_token!, clientId, request.nonce);
    expect(claims).toMatchObject({ sub: 'alice-in-entra', acr: 'possessionorinherence', amr: ['pop'] });
    expect(browser.visited.filter((url) => url.includes('/device/sign-in?ref='))).toHaveLength(1);
    expect(browser.visited.some((url) => url.includes('/password'))).toBe(false);
  });

  it('accepts a hint whose audience is the Entra app id', async () => {
    const request = entra.request(clientId, await entra.hint(clientId, { aud: 'entra-app' }));
    const answer = await post(browserOn(alice), request);
    expect(answer.fields.id_token).toBeDefined();
  });

  it.each<[string, (id: string) => Promise<string>, string, RegExp]>([
    [
      'a bad signature',
      async (id) => entra.hint(id, {}, (await generateKeyPair('RS256')).privateKey),
      'invalid_request',
      /signature of id_token_hint does not verify/,
    ],
    [
      'the wrong audience',
      (id) => entra.hint(id, { aud: 'another-client' }),
      'invalid_request',
      /is for another-client/,
    ],
    [
      'the wrong issuer',
      (id) => entra.hint(id, { iss: 'https://login.microsoftonline.com/another-tenant/v2.0' }),
      'invalid_request',
      /was issued by https:\/\/login\.microsoftonline\.com\/another-tenant\/v2\.0/,
    ],
    [
      'an expired hint (issued over ten minutes ago)',
      (id) => entra.hint(id, { iat: Math.floor(Date.now() / 1000) - 3600 }),
      'invalid_request',
      /older than 10 minutes/,
    ],
    [
      'an unknown user',
      (id) => entra.hint(id, { preferred_username: 'mallory@example.com' }),
      'access_denied',
      /no active Latchkey user has email "mallory@example\.com"/,
    ],
  ])('refuses a hint with %s at the redirect_uri, with the state', async (_case, make, error, description) => {
    const request = entra.request(clientId, await make(clientId));
    const answer = await post(browserOn(alice), request);
    expect(answer.fields).toMatchObject({ error, state: request.state });
    expect(answer.fields.error_description).toMatch(description);
    expect(answer.fields.id_token).toBeUndefined();
  });

  it('refuses a request without a hint', async () => {
    const request = entra.request(clientId, null);
    const answer = await post(browserOn(alice), request);
    expect(answer.fields).toMatchObject({ error: 'invalid_request', state: request.state });
    expect(answer.fields.error_description).toContain('id_token_hint is required');
  });

  it("refuses the device of another person than the one Entra's hint names", async () => {
    const request = entra.request(clientId, await entra.hint(clientId, { preferred_username: 'bob@example.com' }));
    const answer = await post(browserOn(alice), request);
    expect(answer.fields).toMatchObject({ error: 'access_denied', state: request.state });
  });

  it('refuses without a trusted device, and a category no device can meet', async () => {
    const none = entra.request(clientId, await entra.hint(clientId));
    expect((await post(browserOn(null), none)).fields).toMatchObject({ error: 'access_denied', state: none.state });
    const inherence = entra.request(clientId, await entra.hint(clientId), 'inherence');
    expect((await post(browserOn(alice), inherence)).fields).toMatchObject({
      error: 'unmet_authentication_requirements',
      state: inherence.state,
    });
  });

  it('answers a bare GET of the authorization endpoint with 200, as Entra checks it', async () => {
    const response = await server.fetch(`${server.issuer}/auth`);
    expect(response.status).toBe(200);
  });
});
