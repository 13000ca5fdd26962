// A certificate an MDM got over SCEP is a device certificate like the agent's: it proves the device at
// sign-in. Here an Okta factor sign-in (device only, no password) with it comes back as its user, and the
// certificate's revocation ends that.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { backendName } from '../../helpers/backend.js';
import { EmulatedOkta } from '../../helpers/okta.js';
import type { TestServer } from '../../helpers/server.js';
import { deviceBrowsers } from '../device-trust/helpers.js';
import { enroll, newDevice, privateKeyPem, startScepServer } from './helpers.js';

describe(`signing in with a SCEP certificate [${backendName()}]`, () => {
  let server: TestServer;
  let okta: EmulatedOkta;
  let browsers: ReturnType<typeof deviceBrowsers>;

  beforeAll(async () => {
    server = await startScepServer();
    await server.addUser('alice');
    const factor = await server.addFactorClient('okta', { oktaDomain: 'acme.okta.com' });
    okta = new EmulatedOkta(server, factor.clientId, factor.clientSecret!);
    browsers = deviceBrowsers(server);
  });
  afterAll(async () => {
    await browsers?.close();
    await server?.close();
  });

  it('proves the device to an Okta factor sign-in, and no longer once the certificate is revoked', async () => {
    const { challenge } = await server.app.services.scep.createChallenge('alice', 'ios', { actor: 'test' });
    const device = await newDevice();
    const answer = await enroll(server, device, { challenge, names: [{ type: 'email', value: 'alice@example.com' }] });
    expect(answer.certRep).toMatchObject({ status: 'SUCCESS' });
    const credentials = {
      certificatePem: device.certificate!.toString('pem'),
      chainPem: [answer.certRep!.certificates![1]!.toString('pem')],
      privateKeyPem: privateKeyPem(device),
    };
    const signIn = async () => {
      const request = okta.authorizationRequest();
      const landing = await browsers.on(credentials).go(request.url);
      if (landing.kind !== 'callback') throw new Error('expected to land at Okta, not on a page');
      return okta.callback(landing.url, request);
    };

    const outcome = await signIn();
    expect(outcome).toMatchObject({ kind: 'signed-in', username: 'alice@example.com' });
    if (outcome.kind !== 'signed-in') throw new Error('unreachable');
    expect(outcome.claims.amr).toEqual(['pop', 'swk']);

    const serial = device.certificate!.serialNumber.toLowerCase();
    const row = await server.app.services.db('device_certificates').where({ serial }).first('device_id');
    await server.app.services.deviceTrust.revokeDevice(row.device_id, { actor: 'test' });
    expect(await signIn()).toMatchObject({ kind: 'error', error: 'access_denied' });
  });
});
