// Whether an existing session still satisfies the access policies for this authorization request
// (sign-in frequency, a policy added since, acr_values, a changed network, a device that no longer
// stands). oidc-provider asks this on every authorization with a session; "no" starts an interaction that
// asks only for what is missing.
import type { Logger } from '../log.js';
import type { SessionCheck } from '../oidc/provider.js';
import type { UserRepository } from '../store/users.js';
import type { SignInEvaluator } from './evaluate.js';
import type { FederatedSignIn } from './federation.js';
import type { SessionProofService } from './session-proofs.js';

export function sessionCheck(
  evaluator: SignInEvaluator,
  users: UserRepository,
  sessionProofs: SessionProofService,
  federation: FederatedSignIn,
  log: Logger,
): SessionCheck {
  return async (ctx) => {
    const { session, client, params } = ctx.oidc;
    if (!session?.accountId || !client) return false;
    try {
      const user = await users.findById(session.accountId);
      if (!user || user.disabled) return false;
      const now = Math.floor(Date.now() / 1000);
      const { proofs } = await sessionProofs.current(session.uid, user.id, now);
      const factor = await federation.signIn(client.clientId, params ?? {});
      const { step } = await evaluator.evaluate(ctx, {
        clientId: client.clientId,
        user,
        proofs,
        settled: {},
        acrValues: params?.acr_values,
        claims: params?.claims,
        factor,
      });
      if (step.kind !== 'finish') return false;
      // A factor client that could not be answered for this user (no value to match them on) asks again:
      // the interaction then says why, at its redirect_uri.
      return !factor || (await federation.unanswerable(factor, user)) === undefined;
    } catch (error) {
      // Fail closed: the interaction that follows reports the problem to the relying party.
      log.warn({ err: error }, 'session policy check failed');
      return false;
    }
  };
}
