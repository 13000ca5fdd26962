// A complete sign-in proven by the device certificate alone (the device RP's policy lets trusted and
// managed devices sign in on their own): authorization request, the device check on a new mutual-TLS
// connection (as a browser makes one per device-check origin visit), the hand-off back, code, token
// exchange with PKCE. Compared with the same-adapter baseline's code-flow-password, a new sign-in (new
// session, interaction) that signs its fixed account in without any check: both are fresh sign-ins that
// end in a code without a password hash, so the difference is what proving the device costs.
import { expectCallback } from '../../test/helpers/http-user.js';
import { enrolledDevices, mutualTlsFetch } from '../lib/devices.js';
import type { LatchkeyScenario } from '../lib/scenario.js';
import { relyingPartyOf } from '../lib/scenario.js';

export const deviceCertificateFlow: LatchkeyScenario = {
  kind: 'latchkey',
  name: 'device-certificate-flow',
  comparedWith: 'code-flow-password',
  async prepare(target, workers) {
    const devices = await enrolledDevices(target, workers);
    const rp = await relyingPartyOf(target, target.deviceClient);
    return async (worker) => {
      const tls = mutualTlsFetch(target, devices[worker]!);
      try {
        const browser = target.newUser().onDevice(tls.fetch);
        const started = await rp.start();
        await rp.finish(expectCallback(await browser.go(started.url)), started);
      } finally {
        await tls.close();
      }
    };
  },
};
