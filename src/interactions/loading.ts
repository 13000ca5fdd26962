// Loading an interaction for a request: oidc-provider checks the interaction cookie (binding it to this
// browser), we check the uid in the path and, for posts, the CSRF token. Once loaded, the relying party
// is known and every failure ends at its redirect_uri (finish.ts).
import type { Context } from 'koa';
import { errors as oidcErrors, type Provider } from 'oidc-provider';
import { ForbiddenError } from '../errors.js';
import type { ClientKind } from '../store/clients.js';
import { errorPage } from '../views/pages.js';
import type { InteractionDeps } from './deps.js';
import type { FactorSignIn } from './federation.js';

export type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

/**
 * Where a form posted on this interaction's pages may end up: browsers apply form-action to the redirects
 * after a post, so the relying party's origin (its redirect_uri) and Latchkey's own other origins.
 */
export function formTargets(deps: Pick<InteractionDeps, 'formTargets'>, loaded: Loaded): string[] {
  return [...deps.formTargets, ...(loaded.redirectOrigin ? [loaded.redirectOrigin] : [])];
}

export interface Loaded {
  details: Details;
  uid: string;
  clientId: string;
  clientName: string;
  clientKind: ClientKind;
  redirectOrigin: string | undefined;
  /** For a factor client: what it is set up to do and whom its request names. */
  factor?: FactorSignIn;
}

const SESSION_GONE =
  'This sign-in page has expired or was opened in a different browser. Return to the application and start signing in again.';

/** Loads the interaction; renders the "expired" page (no redirect target is known) when it is gone. */
export async function load(ctx: Context, deps: InteractionDeps): Promise<Loaded | undefined> {
  let details: Details | undefined;
  try {
    details = await deps.oidc.provider.interactionDetails(ctx.req, ctx.res);
  } catch (error) {
    if (!(error instanceof oidcErrors.SessionNotFound || error instanceof oidcErrors.InvalidRequest)) throw error;
    deps.log.info({ path: ctx.path, ip: ctx.ip, reason: (error as Error).message }, 'interaction not found');
  }
  if (!details || details.uid !== ctx.params.uid) {
    ctx.status = 400;
    ctx.type = 'html';
    ctx.body = errorPage('Sign-in expired', SESSION_GONE);
    return undefined;
  }
  const clientId = String(details.params.client_id);
  const redirectUri = details.params.redirect_uri as string | undefined;
  const loaded: Loaded = {
    details,
    uid: details.uid,
    clientId,
    clientName: clientId,
    clientKind: 'third_party',
    redirectOrigin: redirectUri ? safeOrigin(redirectUri) : undefined,
  };
  // From here on the relying party is known: failures end at its redirect_uri (finish.ts).
  ctx.state.interaction = loaded;
  const client = await deps.clients.find(clientId);
  loaded.clientName = client?.name ?? clientId;
  loaded.clientKind = client?.kind ?? 'third_party';
  loaded.factor = await deps.federation.signInOf(client, details.params);
  return loaded;
}

/** load() plus the CSRF check every post needs. */
export async function loadForPost(ctx: Context, deps: InteractionDeps): Promise<Loaded | undefined> {
  const loaded = await load(ctx, deps);
  if (!loaded) return undefined;
  const token = (ctx.request.body as Record<string, unknown> | undefined)?.csrf;
  if (!deps.csrf.verify(loaded.uid, token)) {
    deps.log.warn({ ip: ctx.ip, uid: loaded.uid }, 'refused interaction post with a bad CSRF token');
    throw new ForbiddenError('ERR_CSRF', 'This form has expired. Go back and try again.');
  }
  return loaded;
}

/** The audit fields of a request within an interaction. */
export function auditFacts(ctx: Context, loaded: Loaded) {
  return { ip: ctx.ip, userAgent: ctx.get('user-agent') || undefined, clientId: loaded.clientId };
}

function safeOrigin(uri: string): string | undefined {
  try {
    const origin = new URL(uri).origin;
    return origin === 'null' ? undefined : origin;
  } catch {
    return undefined;
  }
}
