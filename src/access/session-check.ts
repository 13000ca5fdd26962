// Whether an existing session still satisfies the access policies for this authorization request
// (sign-in frequency, a policy added since, acr_values, a changed network). oidc-provider asks this on
// every authorization with a session; "no" starts an interaction that asks only for what is missing.
import type { KoaContextWithOIDC } from 'oidc-provider';
import { nextStep } from '../interactions/flow.js';
import { SIGN_IN_METHODS } from '../interactions/methods/index.js';
import { methodsFromAmr, requestedAcr } from '../oidc/acr.js';
import type { Logger } from '../log.js';
import type { UserRepository } from '../store/users.js';
import { capabilitiesOf, type AccessControl } from './service.js';

export type SessionCheck = (ctx: KoaContextWithOIDC) => Promise<boolean>;

export function sessionCheck(access: AccessControl, users: UserRepository, log: Logger): SessionCheck {
  return async (ctx) => {
    const { session, client, params } = ctx.oidc;
    if (!session?.accountId || !client) return false;
    const user = await users.findById(session.accountId);
    if (!user || user.disabled) return false;
    const at = session.loginTs ?? 0;
    const methods = Object.fromEntries(methodsFromAmr(session.amr ?? []).map((m) => [m, at]));
    try {
      const facts = await access.facts({
        clientId: client.clientId,
        user,
        ip: ctx.ip,
        peerIp: ctx.req.socket.remoteAddress ?? '',
        headers: ctx.req.headers,
        userAgent: ctx.get('user-agent') || undefined,
        methods,
      });
      const now = Math.floor(Date.now() / 1000);
      const step = nextStep({
        decision: access.decide(facts, now),
        user: capabilitiesOf(user),
        methods,
        requiredAcr: requestedAcr(params?.acr_values as string | undefined),
        registry: SIGN_IN_METHODS,
        now,
      });
      return step.kind === 'finish';
    } catch (error) {
      // Fail closed: the interaction that follows reports the problem to the relying party.
      log.warn({ err: error }, 'session policy check failed');
      return false;
    }
  };
}
