// A complete passwordless sign-in with a passkey: authorization request, our login page with its WebAuthn
// options (a challenge issued and stored), the assertion (a real ECDSA signature by a software
// authenticator, verified), code, token exchange with PKCE, id_token validated. Each worker has its own
// registered passkey (registered untimed after password + TOTP on the account page). Compared with the
// same-adapter baseline's code-flow-password, a new sign-in that signs its fixed account in without any
// check: both are fresh sign-ins without a password hash, so the difference is what the passkey costs.
import { SoftAuthenticator } from '../../test/helpers/soft-authenticator.js';
import { expectCallback } from '../../test/helpers/http-user.js';
import { optionsOf, pageOf, postAssertion, registerWith } from '../../test/integration/passkeys/helpers.js';
import { asTestServer } from '../lib/devices.js';
import { BENCH_PASSWORD } from '../lib/latchkey.js';
import type { LatchkeyScenario } from '../lib/scenario.js';
import { relyingPartyOf } from '../lib/scenario.js';

export const codeFlowPasskey: LatchkeyScenario = {
  kind: 'latchkey',
  name: 'code-flow-passkey',
  comparedWith: 'code-flow-password',
  async prepare(target, workers) {
    const server = asTestServer(target);
    const account = target.newUser();
    const signedIn = await account.signIn(`${target.issuer}/account`, {
      username: target.passkeyUser.username,
      password: BENCH_PASSWORD,
      totpSecret: target.passkeyUser.totpSecret,
    });
    if (!pageOf(signedIn).html.includes('Your account')) throw new Error('bench: the account sign-in failed');
    const rpId = new URL(target.issuer).hostname;
    const authenticators = Array.from(
      { length: workers },
      () => new SoftAuthenticator({ origin: target.issuer, rpId, counter: 1 }),
    );
    for (const authenticator of authenticators) await registerWith(account, server, authenticator);
    const rp = await relyingPartyOf(target, target.codeClient);
    return async (worker) => {
      const user = target.newUser();
      const started = await rp.start();
      const page = pageOf(await user.go(started.url));
      const callback = expectCallback(
        await postAssertion(user, server, page, authenticators[worker]!.assert(optionsOf(page.html))),
      );
      await rp.finish(callback, started);
    };
  },
};
