// Password + TOTP: a client whose policy requires both, so the sign-in page asks for the password and
// then for a code from the authenticator app. A TOTP step is single-use per user, so the flows cycle
// through the seeded TOTP users (each signs in at most once per 30-second step). Compared with the
// baselines' code flow for someone not signed in, and, like the password flow, with the argon2id bound.
import { expectCallback } from '../../test/helpers/http-user.js';
import { BENCH_PASSWORD } from '../lib/latchkey.js';
import type { LatchkeyScenario } from '../lib/scenario.js';
import { relyingPartyOf } from '../lib/scenario.js';

const TOTP_STEP_MS = 30_000;

export const codeFlowTotp: LatchkeyScenario = {
  kind: 'latchkey',
  name: 'code-flow-password-totp',
  comparedWith: 'code-flow-password',
  async prepare(target) {
    const rp = await relyingPartyOf(target, target.mfaClient);
    const lastStep = new Map<string, number>();
    let next = 0;
    const pick = () => {
      const step = Math.floor(Date.now() / TOTP_STEP_MS);
      for (let tries = 0; tries < target.totpUsers.length; tries += 1) {
        const user = target.totpUsers[next++ % target.totpUsers.length]!;
        if (lastStep.get(user.username) !== step) {
          lastStep.set(user.username, step);
          return user;
        }
      }
      throw new Error('bench: every TOTP user has signed in during this step (seed more TOTP users)');
    };
    return async () => {
      const user = pick();
      const started = await rp.start();
      const browser = target.newUser();
      const landing = await browser.signIn(started.url, {
        username: user.username,
        password: BENCH_PASSWORD,
        totpSecret: user.totpSecret,
      });
      await rp.finish(expectCallback(landing), started);
    };
  },
};
