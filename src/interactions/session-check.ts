// Whether an existing session still satisfies the access policies for this authorization request
// (sign-in frequency, a policy added since, acr_values, a changed network). oidc-provider asks this on
// every authorization with a session; "no" starts an interaction that asks only for what is missing.
import { evaluateSignIn, signInRequest } from './next-step.js';
import { sessionMethods } from '../oidc/acr.js';
import type { SessionCheck } from '../oidc/provider.js';
import type { Logger } from '../log.js';
import type { UserRepository } from '../store/users.js';
import type { AccessControl } from './access.js';

export function sessionCheck(access: AccessControl, users: UserRepository, log: Logger): SessionCheck {
  return async (ctx) => {
    const { session, client, params } = ctx.oidc;
    if (!session?.accountId || !client) return false;
    const user = await users.findById(session.accountId);
    if (!user || user.disabled) return false;
    const methods = sessionMethods(session.amr, session.loginTs);
    try {
      const request = signInRequest(ctx, client.clientId, user, methods);
      const { step } = await evaluateSignIn(access, request, params?.acr_values as string | undefined);
      return step.kind === 'finish';
    } catch (error) {
      // Fail closed: the interaction that follows reports the problem to the relying party.
      log.warn({ err: error }, 'session policy check failed');
      return false;
    }
  };
}
