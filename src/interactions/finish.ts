// How an interaction ends: oidc-provider continues the authorization with our result (a login, consent or
// an OAuth error) and we redirect the browser there. Any unexpected failure once an interaction is loaded
// (a bug, a store outage, no policy set in force) also ends at the relying party's redirect_uri, as
// server_error or temporarily_unavailable with its state, never on a page the relying party never hears of.
import type { Context, Middleware } from 'koa';
import { UnavailableError } from '../errors.js';
import { describeError } from '../http/errors.js';
import { setPageCsp } from '../http/security-headers.js';
import { StoreUnavailableError } from '../store/outage.js';
import type { InteractionDeps } from './deps.js';
import { directErrorAnswer } from './direct-answer.js';
import { auditFacts, type Loaded } from './loading.js';

/** Ends the interaction with `result`: oidc-provider continues the authorization, the browser follows. */
export async function finish(
  ctx: Context,
  deps: InteractionDeps,
  loaded: Loaded,
  result: Record<string, unknown>,
): Promise<void> {
  const redirectTo = await deps.oidc.provider.interactionResult(ctx.req, ctx.res, result, {
    mergeWithLastSubmission: false,
  });
  await deps.states.clear(loaded.uid);
  ctx.status = 303;
  ctx.redirect(redirectTo);
}

/**
 * Refusals meant for the person (a bad CSRF token, bad input) stay pages they can act on. For a store
 * outage, or when oidc-provider cannot finish the interaction itself, the error goes to the redirect_uri
 * directly, from the parameters oidc-provider validated when it created the interaction.
 */
export function endsAtTheRelyingParty(deps: InteractionDeps): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      const loaded = ctx.state.interaction as Loaded | undefined;
      const described = describeError(error);
      if (!loaded || (described && described.status < 500)) throw error;
      const unavailable = described?.status === 503;
      const oauthError = unavailable ? 'temporarily_unavailable' : 'server_error';
      const description = unavailable
        ? described.message
        : 'The sign-in failed because of an error on our side. Try again; if it keeps happening, tell your administrator.';
      deps.log[unavailable ? 'warn' : 'error'](
        { err: error, uid: loaded.uid, oauthError },
        'sign-in ended with an error',
      );
      // A store that just failed would not take the record either (and would hold the answer up).
      if (!(described instanceof StoreUnavailableError)) await recordEnding(ctx, deps, loaded, oauthError, description);
      // A store that just failed is not trusted to finish the interaction: answer from what was validated.
      if (unavailable) return answerDirectly(ctx, deps, loaded, oauthError, description);
      try {
        await finish(ctx, deps, loaded, { error: oauthError, error_description: description });
      } catch (finishError) {
        deps.log.warn({ err: finishError, uid: loaded.uid }, 'answering the relying party directly');
        answerDirectly(ctx, deps, loaded, oauthError, description);
      }
    }
  };
}

/** The sign-in's last word in the audit log, unless its steps already wrote it (best effort: never masks the error). */
async function recordEnding(
  ctx: Context,
  deps: InteractionDeps,
  loaded: Loaded,
  error: string,
  description: string,
): Promise<void> {
  if (ctx.state.signInRecorded) return;
  try {
    await deps.audit.record({
      event: 'login.complete',
      outcome: 'failure',
      reasons: [description],
      detail: { error },
      ...auditFacts(ctx, loaded),
    });
  } catch (recordError) {
    deps.log.warn({ err: recordError, uid: loaded.uid }, 'could not record the end of a failed sign-in');
  }
}

function answerDirectly(ctx: Context, deps: InteractionDeps, loaded: Loaded, error: string, description: string): void {
  const answer = directErrorAnswer(loaded.details.params, deps.issuer, error, description);
  if (answer.kind === 'none') throw new UnavailableError('ERR_SIGN_IN_FAILED', description);
  if (answer.kind === 'redirect') {
    ctx.status = 303;
    ctx.redirect(answer.location);
    return;
  }
  setPageCsp(ctx, [new URL(answer.action).origin], true);
  ctx.type = 'html';
  ctx.body = answer.html;
}
