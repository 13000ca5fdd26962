// A complete authorization-code flow for someone already signed in (prompt=none with the session cookie):
// no password, so what remains is the protocol and storage overhead of each system. Each worker signs in
// once, untimed, and reuses its cookies.
import { expectCallback } from '../../test/helpers/http-user.js';
import type { SharedScenario } from '../lib/scenario.js';
import { relyingPartyOf } from '../lib/scenario.js';

export const codeFlowSession: SharedScenario = {
  kind: 'shared',
  name: 'code-flow-session',
  async prepare(target, workers) {
    const rp = await relyingPartyOf(target, target.codeClient);
    const users = await Promise.all(
      Array.from({ length: workers }, async () => {
        const user = target.newUser();
        const started = await rp.start();
        await rp.finish(await target.signIn(user, started.url), started);
        return user;
      }),
    );
    return async (worker) => {
      const started = await rp.start({ prompt: 'none' });
      const callback = expectCallback(await users[worker]!.go(started.url));
      await rp.finish(callback, started);
    };
  },
};
