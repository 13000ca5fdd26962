// A complete authorization-code flow for someone not yet signed in: authorization request, our sign-in
// page with a password (one argon2id verification, which dominates on Latchkey), code, token exchange with
// PKCE, id_token validated by openid-client. The baselines sign their fixed account in without any check.
import type { SharedScenario } from '../lib/scenario.js';
import { relyingPartyOf } from '../lib/scenario.js';

export const codeFlowPassword: SharedScenario = {
  kind: 'shared',
  name: 'code-flow-password',
  async prepare(target) {
    const rp = await relyingPartyOf(target, target.codeClient);
    return async () => {
      const started = await rp.start();
      const callback = await target.signIn(target.newUser(), started.url);
      await rp.finish(callback, started);
    };
  },
};
