// Routes of the sign-in interaction. Each request loads the interaction (oidc-provider checks its cookie),
// verifies the CSRF token on posts, runs one step (sign-in.ts), then shows the next page or finishes the
// interaction with a login result or an OAuth error that goes back to the relying party.
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context } from 'koa';
import { InvalidInputError } from '../errors.js';
import { withinSignIn } from '../store/audit.js';
import { grantConsent, showConsent } from './consent.js';
import type { InteractionDeps } from './deps.js';
import { endsAtTheRelyingParty, finish } from './finish.js';
import { auditFacts, load, loadForPost } from './loading.js';
import type { SignInMethod } from './methods/types.js';
import { attempt, begin } from './sign-in.js';

export type { InteractionDeps } from './deps.js';
export { SESSION_STEP_UP_REASONS } from './sign-in.js';

export function interactionRouter(deps: InteractionDeps): Router {
  const router = new Router({ prefix: '/interaction' });
  const forms = bodyParser({ enableTypes: ['form'], formLimit: '16kb' });
  router.use(endsAtTheRelyingParty(deps));
  // Every audit event of this request belongs to the sign-in in the path (read back as one story).
  router.param('uid', (uid, _ctx, next) => withinSignIn(uid, next));

  router.get('/:uid', async (ctx) => {
    const loaded = await load(ctx, deps);
    if (!loaded) return;
    if (loaded.details.prompt.name === 'consent') return showConsent(ctx, deps, loaded);
    await begin(ctx, deps, loaded);
  });

  router.post('/:uid/consent', forms, async (ctx) => {
    const loaded = await loadForPost(ctx, deps);
    if (!loaded) return;
    if (loaded.details.prompt.name !== 'consent')
      throw new InvalidInputError('ERR_INTERACTION_STEP', 'this sign-in is not waiting for consent');
    if ((ctx.request.body as Record<string, unknown>).decision !== 'allow') {
      await deps.audit.record({ event: 'consent', outcome: 'deny', ...auditFacts(ctx, loaded) });
      return finish(ctx, deps, loaded, { error: 'access_denied', error_description: 'The user did not allow access.' });
    }
    await grantConsent(ctx, deps, loaded);
  });

  router.post('/:uid/abort', forms, async (ctx) => {
    const loaded = await loadForPost(ctx, deps);
    if (!loaded) return;
    await deps.audit.record({
      event: 'login.abort',
      outcome: 'failure',
      reasons: ['user cancelled'],
      ...auditFacts(ctx, loaded),
    });
    await finish(ctx, deps, loaded, { error: 'access_denied', error_description: 'The user cancelled the sign-in.' });
  });

  // A method's form post on our page.
  router.post('/:uid/:method', forms, async (ctx) => {
    const method = methodOf(ctx, deps);
    const loaded = await loadForPost(ctx, deps);
    if (!loaded) return;
    await attempt(ctx, deps, loaded, method, { kind: 'form', fields: ctx.request.body as Record<string, unknown> });
  });

  // The browser coming back from a method's hand-off (the device check); bound by its single-use reference.
  router.get('/:uid/:method/return', async (ctx) => {
    const method = methodOf(ctx, deps);
    const loaded = await load(ctx, deps);
    if (!loaded) return;
    const query = Object.fromEntries(
      Object.entries(ctx.query).map(([name, value]) => [name, typeof value === 'string' ? value : undefined]),
    );
    await attempt(ctx, deps, loaded, method, { kind: 'return', query });
  });

  return router;
}

function methodOf(ctx: Context, deps: InteractionDeps): SignInMethod {
  const method = deps.evaluator.method(ctx.params.method ?? '');
  if (!method) throw new InvalidInputError('ERR_INTERACTION_METHOD', 'unknown sign-in step');
  return method;
}
