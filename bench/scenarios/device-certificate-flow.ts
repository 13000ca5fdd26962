// A complete sign-in proven by the device certificate alone (the device RP's policy lets trusted and
// managed devices sign in on their own): authorization request, the device check on a new mutual-TLS
// connection (as a browser makes one per device-check origin visit), the hand-off back, code, token
// exchange with PKCE. Compared with the same-adapter baseline's code flow on an existing session: both
// end in a code without a password hash, and the device check is what Latchkey adds.
import { expectCallback } from '../../test/helpers/http-user.js';
import { enrolledDevices, mutualTlsFetch } from '../lib/devices.js';
import type { LatchkeyScenario } from '../lib/scenario.js';
import { relyingPartyOf } from '../lib/scenario.js';

export const deviceCertificateFlow: LatchkeyScenario = {
  kind: 'latchkey',
  name: 'device-certificate-flow',
  comparedWith: 'code-flow-session',
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
