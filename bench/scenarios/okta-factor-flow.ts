// Okta's factor flow with a device certificate, exactly as the emulated Okta drives it: the authorization
// request (code, openid profile email, state, nonce, Okta's callback), the device check on a new mutual-TLS
// connection and the hand-off back, the code exchanged with client_secret_post, the RS256 id_token
// verified against the JWKS (read once) with its nonce, and userinfo read for device_context. Compared
// with the same-adapter baseline's code-flow-password, a new sign-in that signs its fixed account in
// without any check (and reads no userinfo).
import { expectCallback } from '../../test/helpers/http-user.js';
import { EmulatedOkta } from '../../test/helpers/okta.js';
import { asTestServer, enrolledDevices, mutualTlsFetch } from '../lib/devices.js';
import { OKTA_DOMAIN } from '../lib/latchkey.js';
import type { LatchkeyScenario } from '../lib/scenario.js';

export const oktaFactorFlow: LatchkeyScenario = {
  kind: 'latchkey',
  name: 'okta-factor-flow',
  comparedWith: 'code-flow-password',
  async prepare(target, workers) {
    const { clientId, clientSecret } = target.factorClient;
    const okta = new EmulatedOkta(asTestServer(target), clientId, clientSecret, OKTA_DOMAIN);
    const devices = await enrolledDevices(target, workers);
    return async (worker) => {
      const tls = mutualTlsFetch(target, devices[worker]!);
      try {
        const browser = target.newUser().onDevice(tls.fetch);
        const request = okta.authorizationRequest();
        const outcome = await okta.callback(expectCallback(await browser.go(request.url)), request);
        if (outcome.kind !== 'signed-in') throw new Error(`the factor flow failed: ${JSON.stringify(outcome)}`);
      } finally {
        await tls.close();
      }
    };
  },
};
