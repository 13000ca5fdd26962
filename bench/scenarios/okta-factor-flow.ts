// Okta's factor flow with a device certificate, exactly as the emulated Okta drives it: the authorization
// request (code, openid profile email, state, nonce, Okta's callback), the device check on a new mutual-TLS
// connection and the hand-off back, the code exchanged with client_secret_post, the RS256 id_token
// verified against the JWKS (read once) with its nonce, and userinfo read for device_context. Compared with
// the bare provider's code flow for someone not signed in (which has no device check and no userinfo).
import { HttpUser, expectCallback } from '../../test/helpers/http-user.js';
import { EmulatedOkta } from '../../test/helpers/okta.js';
import { mutualTlsFetch } from '../../test/integration/device-trust/helpers.js';
import { type BenchDevice, deviceKeys, enroll, enrollmentToken, ensureDeviceCa } from '../lib/devices.js';
import { latchkeyServer } from '../lib/latchkey.js';
import type { Scenario } from '../lib/scenario.js';

export const oktaFactorFlow: Scenario = {
  name: 'okta-factor-flow',
  baselineFrom: 'code-flow-password',
  async prepare(target, workers) {
    const server = latchkeyServer(target);
    await ensureDeviceCa(server);
    const factor = await server.addFactorClient('okta', { oktaDomain: 'bench.okta.com' });
    const okta = new EmulatedOkta(server, factor.clientId, factor.clientSecret!, 'bench.okta.com');
    const devices: BenchDevice[] = [];
    for (const key of await deviceKeys(workers)) devices.push(await enroll(server, await enrollmentToken(server), key));
    return async (worker) => {
      const tls = mutualTlsFetch(server, devices[worker]!);
      try {
        const browser = new HttpUser(server.fetch, server.issuer).onDevice(tls.fetch);
        const request = okta.authorizationRequest();
        const outcome = await okta.callback(expectCallback(await browser.go(request.url)), request);
        if (outcome.kind !== 'signed-in') throw new Error(`the factor flow failed: ${JSON.stringify(outcome)}`);
      } finally {
        await tls.close();
      }
    };
  },
};
