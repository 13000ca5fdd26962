// The consent step: third-party applications ask; our own applications and federating IdPs were approved
// by the administrator who registered them, so their grant is given without a page.
import type { Context } from 'koa';
import { LatchkeyError } from '../errors.js';
import { setPageCsp } from '../http/security-headers.js';
import { consentPage } from '../views/pages.js';
import type { InteractionDeps } from './deps.js';
import { finish } from './finish.js';
import { auditFacts, formTargets, type Loaded } from './loading.js';

export async function showConsent(ctx: Context, deps: InteractionDeps, loaded: Loaded): Promise<void> {
  if (loaded.clientKind !== 'third_party') return grantConsent(ctx, deps, loaded);
  const details = loaded.details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] };
  const form = {
    action: `/interaction/${loaded.uid}/consent`,
    csrf: deps.csrf.issue(loaded.uid),
    clientName: loaded.clientName,
  };
  setPageCsp(ctx, formTargets(deps, loaded));
  ctx.type = 'html';
  ctx.body = consentPage(form, details.missingOIDCScope ?? [], details.missingOIDCClaims ?? []);
}

export async function grantConsent(ctx: Context, deps: InteractionDeps, loaded: Loaded): Promise<void> {
  const { details } = loaded;
  const { provider } = deps.oidc;
  const accountId = details.session?.accountId;
  if (!accountId) throw new LatchkeyError('ERR_INTERACTION_STATE', 'consent without a signed-in user', { status: 400 });
  const existing = details.grantId ? await provider.Grant.find(details.grantId) : undefined;
  const grant = existing ?? new provider.Grant({ accountId, clientId: loaded.clientId });
  const missing = details.prompt.details as {
    missingOIDCScope?: string[];
    missingOIDCClaims?: string[];
    missingResourceScopes?: Record<string, string[]>;
  };
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {}))
    grant.addResourceScope(indicator, scopes.join(' '));
  const grantId = await grant.save();
  await deps.audit.record({
    event: 'consent',
    outcome: 'allow',
    userId: accountId,
    reasons: missing.missingOIDCScope ?? [],
    ...auditFacts(ctx, loaded),
  });
  await finish(ctx, deps, loaded, { consent: { grantId } });
}
