// A complete passwordless sign-in with a passkey: authorization request, our login page with its WebAuthn
// options (a challenge issued and stored), the assertion (a real ECDSA signature by a software
// authenticator, verified), code, token exchange with PKCE, id_token validated. Each worker has its own
// registered passkey (registered untimed after password + TOTP). Compared with the bare oidc-provider
// flow of code-flow-password (which signs its account in without any check).
import { expectCallback } from '../../test/helpers/http-user.js';
import { PASSWORD } from '../../test/helpers/server.js';
import {
  optionsOf,
  pageOf,
  postAssertion,
  registerWith,
  softAuthenticator,
} from '../../test/integration/passkeys/helpers.js';
import { latchkeyServer } from '../lib/latchkey.js';
import type { Scenario } from '../lib/scenario.js';
import { relyingPartyOf } from '../lib/scenario.js';

export const codeFlowPasskey: Scenario = {
  name: 'code-flow-passkey',
  baselineFrom: 'code-flow-password',
  async prepare(target, workers) {
    const server = latchkeyServer(target);
    const { totpSecret } = await server.addUser('bench-passkey', { totp: true });
    const account = target.newUser();
    const signedIn = await account.signIn(`${server.issuer}/account`, {
      username: 'bench-passkey',
      password: PASSWORD,
      totpSecret: totpSecret!,
    });
    if (!pageOf(signedIn).html.includes('Your account')) throw new Error('bench: the account sign-in failed');
    const authenticators = Array.from({ length: workers }, () => softAuthenticator(server));
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
