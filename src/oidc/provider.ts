// oidc-provider configuration: the one place protocol behaviour is chosen. We configure the certified
// library; we never re-implement its endpoints. Interactions (sign-in pages) are ours, mounted in app.ts.
import {
  Provider,
  errors,
  interactionPolicy,
  type ClientMetadata,
  type Configuration,
  type KoaContextWithOIDC,
} from 'oidc-provider';
import type { JWK } from 'jose';
import type { Logger } from '../log.js';
import { protocolAdapter, StoreTemporarilyUnavailable } from './adapter.js';
import { isStoreOutage } from '../store/outage.js';
import type { LoadedConfig } from '../config/load.js';
import type { OidcStore } from '../store/oidc-adapter.js';
import { CLIENT_KIND_METADATA, CLIENT_REVISION_METADATA } from '../store/clients.js';
import { ADMIN_TOKEN_REVISION_CLAIM } from './admin-tokens.js';
import { ADMIN_API_SCOPES, isAdminApiScope } from '../http/admin-auth.js';
import type { UserRepository, User } from '../store/users.js';
import { ACR_VALUES } from './acr.js';
import { preferredUsername, type PreferredUsernameSource } from './claims.js';
import { renderErrorPage, renderLogoutPage, renderLoggedOutPage } from '../views/oidc-pages.js';

/** Whether an existing session still meets the access policies for this authorization request (a port the
 *  sign-in wing implements). */
export type SessionCheck = (ctx: KoaContextWithOIDC) => Promise<boolean>;

/**
 * What Latchkey keeps about a session beyond oidc-provider's own record (a port the sign-in wing
 * implements): what each sign-in proved, and whether a token of that session may still be used.
 */
export interface SessionGuard {
  /** A sign-in finished in session `sessionUid`: `proven` is what the interaction put in its result. */
  signedIn(sessionUid: string, accountId: string, proven: unknown): Promise<void>;
  /** May a token of session `sessionUid` still be used (its device still stands), and until when (epoch s)? */
  tokenStanding(sessionUid: string, accountId: string): Promise<{ usable: boolean; expiresAt?: number }>;
}

/** A verified id_token_hint of another IdP, or why it is refused (as the OAuth error to answer with). */
export type ExternalHintCheck =
  | { ok: true; payload: Record<string, unknown> }
  | { ok: false; error: 'invalid_request' | 'access_denied' | 'temporarily_unavailable'; description: string };

/**
 * What federation adds to the protocol (a port the sign-in wing implements): clients that name their user
 * with another IdP's id_token_hint (Microsoft Entra) and receive that IdP's subject, claims particular to a
 * client (a factor client's device_context and preferred_username), and the loop guard.
 */
export interface FederationHooks {
  /** For a client that takes another IdP's hint: the hint verified or refused; undefined for the others. */
  externalHint(hint: string, clientId: string): Promise<ExternalHintCheck | undefined>;
  /** Whether every request of `clientId` must carry such a hint (it names the user). */
  requiresHint(clientId: string): Promise<boolean>;
  /** The `sub` pairwise client `clientId` receives for `accountId` in a request with these parameters. */
  subject(params: Readonly<Record<string, unknown>>, accountId: string, clientId: string): Promise<string>;
  /** Claims particular to `clientId` for `user`, from what its session proved (or the sign-in just did). */
  clientClaims(
    clientId: string,
    user: User,
    session: { uid?: string; proven?: unknown },
  ): Promise<Record<string, unknown>>;
  /** Counts an authorization request of this browser for `clientId`: why it is refused past the loop guard. */
  admit(ctx: KoaContextWithOIDC, clientId: string, clientName: string): Promise<string | undefined>;
}

/** The key under which interactions put what a sign-in proved into the login result. */
export const PROVEN_RESULT_KEY = 'latchkey';

export interface ProviderDeps {
  config: LoadedConfig;
  store: OidcStore;
  users: UserRepository;
  jwks: { keys: JWK[] };
  cookieKeys: string[];
  /** Whether a session still meets the access policies; omitted only where no sign-in happens (CLI validation). */
  sessionCheck?: SessionCheck;
  /** Where oidc-provider's server errors are logged (omitted in CLI validation). */
  log?: Logger;
  /** Keeps sign-in proofs per session and re-checks them on token use; omitted in CLI validation. */
  sessionGuard?: SessionGuard;
  /** Federated factors' hints, subjects and claims, and the loop guard; omitted in CLI validation. */
  federation?: FederationHooks;
}

/** The OpenID Connect scopes: what a relying party may ask for about its user. */
export const SCOPES = ['openid', 'offline_access', 'profile', 'email', 'groups'];

/**
 * Which scopes a client may be issued, decided from its stored kind (ClientRepository.findForProvider adds
 * it to the metadata; oidc-provider calls this while it builds the client): an admin client gets only the
 * admin API scopes its registration lists, by client credentials only; every other client only OIDC scopes.
 * oidc-provider refuses a configured scope missing from a client's `scope` (invalid_scope), but lets every
 * scope through for a client with no `scope` (or an empty one), so each client leaves here with a non-empty one.
 */
function scopesOfKind(_ctx: unknown, key: string, kind: unknown, metadata: ClientMetadata): void {
  if (key !== CLIENT_KIND_METADATA) return;
  const listed = typeof metadata.scope === 'string' ? metadata.scope.split(' ').filter(Boolean) : undefined;
  if (kind !== 'admin') {
    const oidcScopes = (listed ?? SCOPES).filter((scope) => !isAdminApiScope(scope));
    metadata.scope = oidcScopes.length > 0 ? oidcScopes.join(' ') : 'openid';
    return;
  }
  const adminScopes = (listed ?? []).filter(isAdminApiScope);
  if (adminScopes.length === 0) {
    throw new errors.InvalidClientMetadata('an admin client must list at least one admin API scope');
  }
  const grantTypes = metadata.grant_types ?? [];
  if (grantTypes.length !== 1 || grantTypes[0] !== 'client_credentials' || (metadata.response_types ?? []).length) {
    throw new errors.InvalidClientMetadata('an admin client uses the client_credentials grant only');
  }
  metadata.scope = adminScopes.join(' ');
}

/** Builds the claims a user releases, per scope; `preferred` chooses what preferred_username carries. */
export async function userClaims(
  user: User,
  groups: () => Promise<string[]>,
  preferred: PreferredUsernameSource = 'email',
): Promise<{ sub: string } & Record<string, unknown>> {
  return {
    sub: user.id,
    email: user.email ?? undefined,
    email_verified: user.email ? true : undefined,
    name: user.name ?? undefined,
    // Federating IdPs (Okta) match users on this claim (claims.preferred_username).
    preferred_username: preferredUsername(user, preferred),
    groups: await groups(),
  };
}

/**
 * A login-prompt check: does the existing session still satisfy the access policies (and acr_values)
 * for this request? Once an interaction has produced a login result, the interaction has already
 * decided (it either met every requirement or ended with an OAuth error), so the check never asks
 * twice: no loop.
 */
function policyCheck(sessionSatisfied: SessionCheck) {
  const { Check } = interactionPolicy;
  // prompt=none gets login_required: the user has to authenticate again (sign-in frequency, step-up).
  return new Check(
    'policy_not_satisfied',
    'the session does not meet the access requirements of this request',
    'login_required',
    async (ctx: KoaContextWithOIDC) => {
      if (ctx.oidc.result?.login || !ctx.oidc.session?.accountId) return Check.NO_NEED_TO_PROMPT;
      return (await sessionSatisfied(ctx)) ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT;
    },
  );
}

/**
 * Every authorization request passes this first (all login checks run on each request): the loop guard
 * counts it, and a client that names its user with another IdP's hint must send one. A refusal ends at the
 * redirect_uri, with state, like any authorization error.
 */
function federationCheck(hooks: FederationHooks) {
  const { Check } = interactionPolicy;
  return new Check('federation_request', 'the request is refused', async (ctx: KoaContextWithOIDC) => {
    const { route, client, params } = ctx.oidc;
    if (route !== 'authorization' || !client) return Check.NO_NEED_TO_PROMPT;
    const refused = await hooks.admit(ctx, client.clientId, client.clientName ?? client.clientId);
    if (refused) throw new errors.AccessDenied(refused);
    if (params?.id_token_hint === undefined && (await hooks.requiresHint(client.clientId))) {
      throw new errors.InvalidRequest('id_token_hint is required: it names the user whose device is to be checked');
    }
    return Check.NO_NEED_TO_PROMPT;
  });
}

function interactionPolicyWith(sessionSatisfied: SessionCheck | undefined, federation: FederationHooks | undefined) {
  const policy = interactionPolicy.base();
  const login = policy.get('login')!.checks;
  if (federation) login.unshift(federationCheck(federation));
  if (sessionSatisfied) login.add(policyCheck(sessionSatisfied));
  return policy;
}

/** Creates the configured Provider (not yet listening). */
export function createProvider(deps: ProviderDeps): Provider {
  const { config, store, users, sessionGuard } = deps;
  const federation = deps.federation && outageAware(deps.federation);
  const tokens = config.tokens;
  // The latest time the tokens issued in a request may live (a device certificate's expiry), set by
  // findAccount and read by the (synchronous) ttl functions of the same request.
  const proofExpiry = new WeakMap<object, number>();
  const bounded = (seconds: number) => (ctx: KoaContextWithOIDC | undefined) => {
    const until = ctx ? proofExpiry.get(ctx) : undefined;
    return until === undefined ? seconds : Math.max(1, Math.min(seconds, until - Math.floor(Date.now() / 1000)));
  };

  /**
   * Whether `sub` and a token of theirs (when there is one) still stand; undefined when not. A token of a
   * device-proven session works only while the device stands (not revoked, certificate valid, owner
   * enabled, distribution on), and new tokens do not outlive the certificate (`expiresAt`). Used by
   * findAccount (userinfo, token endpoint) and by introspection, which oidc-provider answers without it.
   */
  async function standingOf(sub: string, token: unknown): Promise<{ user: User; expiresAt?: number } | undefined> {
    const user = await users.findById(sub);
    if (!user || user.disabled) return undefined;
    let expiresAt: number | undefined;
    const sessionUid = (token as { sessionUid?: unknown } | undefined)?.sessionUid;
    if (sessionGuard && typeof sessionUid === 'string') {
      const session = await sessionGuard.tokenStanding(sessionUid, sub);
      if (!session.usable) return undefined;
      expiresAt = session.expiresAt;
    }
    // Defence in depth for `latchkey users revoke-sessions`: tokens issued before it are dead even if
    // some store still held them.
    const issuedAt = (token as { iat?: number } | undefined)?.iat;
    if (issuedAt !== undefined && user.sessionsRevokedAt !== null && issuedAt * 1000 < user.sessionsRevokedAt) {
      return undefined;
    }
    return { user, expiresAt };
  }

  const configuration: Configuration = {
    adapter: (name: string) => protocolAdapter(store.adapterFor(name)),
    jwks: deps.jwks as Configuration['jwks'],
    cookies: {
      keys: deps.cookieKeys,
      // SameSite=None for the session cookie: Microsoft Entra POSTs its authorization requests from its
      // own site, and oidc-provider accepts POST only so (enableHttpPostMethods). The interaction cookies
      // stay Lax; pages are never framed (frame-ancestors 'none').
      long: { httpOnly: true, sameSite: 'none', secure: true },
      short: { httpOnly: true, sameSite: 'lax', secure: true },
    },
    // POST at the authorization endpoint (Entra's external authentication methods send their long
    // requests so) and at end_session.
    enableHttpPostMethods: true,
    // The admin API scopes are configured scopes so that each client's `scope` whitelist covers them
    // (scopesOfKind): only admin clients have them in theirs.
    scopes: [...SCOPES, ...Object.keys(ADMIN_API_SCOPES)],
    extraClientMetadata: { properties: [CLIENT_KIND_METADATA, CLIENT_REVISION_METADATA], validator: scopesOfKind },
    // Client-credentials tokens carry the revision of their client's row: the admin API's bearer check
    // (admin-tokens.ts) refuses one whose client changed since (its secret rotated, or it was re-created).
    extraTokenClaims(_ctx, token) {
      if (token.kind !== 'ClientCredentials') return undefined;
      const revision = token.client?.metadata()[CLIENT_REVISION_METADATA];
      return typeof revision === 'string' ? { [ADMIN_TOKEN_REVISION_CLAIM]: revision } : undefined;
    },
    claims: {
      acr: null,
      amr: null,
      auth_time: null,
      sid: null,
      device_context: null,
      // acr, amr and auth_time ride on the openid scope so every id_token carries them (Okta matches on
      // acr and amr; auth_time would otherwise be left out of a token issued from an existing session).
      // device_context goes to factor clients only (federation's clientClaims adds it).
      openid: ['sub', 'acr', 'amr', 'auth_time', 'device_context'],
      email: ['email', 'email_verified'],
      profile: ['name', 'preferred_username'],
      groups: ['groups'],
    },
    // Okta and other federating IdPs match users on id_token claims: keep scope claims in the id_token.
    conformIdTokenClaims: false,
    acrValues: [...ACR_VALUES],
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
    enabledJWA: {
      idTokenSigningAlgValues: ['RS256', 'ES256'],
      userinfoSigningAlgValues: ['RS256', 'ES256'],
      clientAuthSigningAlgValues: ['RS256', 'PS256', 'ES256', 'EdDSA'],
    },
    clientDefaults: {
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'RS256',
    },
    // id_token alone is for Microsoft Entra's external authentication methods (implicit, form_post);
    // only clients registered with it may use it.
    responseTypes: ['code', 'id_token'],
    subjectTypes: ['public', 'pairwise'],
    // Pairwise clients are Entra factors: their sub is the one Entra's hint carries (see FederationHooks).
    async pairwiseIdentifier(ctx, accountId, client) {
      if (!federation) throw new Error('pairwise subjects need the federation hooks');
      return federation.subject(ctx.oidc.params ?? {}, accountId, client.clientId);
    },
    features: {
      devInteractions: { enabled: false },
      // Entra asks for its acr and amr with the claims parameter; the sign-in reads what is asked.
      claimsParameter: { enabled: true },
      // A client may introspect and revoke only the tokens issued to it; a token whose user or device no
      // longer stands introspects as inactive, as it fails at userinfo and the token endpoint.
      introspection: {
        enabled: true,
        allowedPolicy: async (_ctx, client, token) => {
          if (token.clientId !== client.clientId) return false;
          const accountId = (token as { accountId?: unknown }).accountId;
          return typeof accountId !== 'string' || (await standingOf(accountId, token)) !== undefined;
        },
      },
      revocation: { enabled: true, allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId },
      clientCredentials: { enabled: true },
      userinfo: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: renderLogoutPage,
        postLogoutSuccessSource: renderLoggedOutPage,
      },
    },
    interactions: {
      policy: interactionPolicyWith(deps.sessionCheck, federation),
      url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
    },
    rotateRefreshToken: true,
    ttl: {
      AccessToken: bounded(tokens.access_token_ttl_seconds),
      AuthorizationCode: tokens.authorization_code_ttl_seconds,
      ClientCredentials: tokens.client_credentials_ttl_seconds,
      IdToken: tokens.id_token_ttl_seconds,
      Interaction: config.security.interaction_ttl_seconds,
      Session: tokens.session_ttl_seconds,
      Grant: tokens.grant_ttl_seconds,
      RefreshToken: bounded(tokens.refresh_token_ttl_seconds),
    },
    async findAccount(ctx, sub, token) {
      const standing = await standingOf(sub, token);
      if (!standing) return undefined;
      const { user, expiresAt } = standing;
      if (expiresAt !== undefined) proofExpiry.set(ctx, expiresAt);
      const sessionUid = (token as { sessionUid?: unknown } | undefined)?.sessionUid;
      const session = {
        uid: typeof sessionUid === 'string' ? sessionUid : ctx.oidc.session?.uid,
        // Claims issued in the request that ends the sign-in (an implicit id_token) see what it just proved.
        proven: (ctx.oidc.result as Record<string, unknown> | undefined)?.[PROVEN_RESULT_KEY],
      };
      const clientId = ctx.oidc.client?.clientId;
      return {
        accountId: sub,
        claims: async () => ({
          ...(await userClaims(user, () => users.groupNames(user.id), config.claims.preferred_username)),
          ...(federation && clientId ? await federation.clientClaims(clientId, user, session) : {}),
        }),
      };
    },
    renderError: renderErrorPage,
  };

  const provider = new Provider(config.issuer, configuration);
  includeSidForEveryClient(provider);
  if (federation) acceptExternalHints(provider, federation);
  provider.proxy = config.server.trusted_proxies.length > 0;
  const { log } = deps;
  if (log) provider.on('server_error', (_ctx, error) => log.error({ err: error }, 'oidc-provider server error'));
  // A store outage reaches clients as temporarily_unavailable (503); tell them when to come back.
  provider.use(async (ctx, next) => {
    try {
      await next();
    } finally {
      if (ctx.status === 503) ctx.set('Retry-After', String(StoreTemporarilyUnavailable.retryAfterSeconds));
    }
  });
  // Once a sign-in lands in a session (the resume after an interaction), keep what it proved for that
  // session: oidc-provider's session keeps only accountId, acr, amr and the login time.
  if (sessionGuard) {
    provider.use(async (ctx, next) => {
      await next();
      const oidc = (ctx as KoaContextWithOIDC).oidc;
      const result = oidc?.result as Record<string, unknown> | undefined;
      const accountId = (result?.login as { accountId?: string } | undefined)?.accountId;
      if (oidc?.route === 'resume' && accountId && result?.[PROVEN_RESULT_KEY] && oidc.session?.uid) {
        await sessionGuard.signedIn(oidc.session.uid, accountId, result[PROVEN_RESULT_KEY]);
      }
    });
  }
  return provider;
}

/**
 * oidc-provider puts `sid` (the session's id for this client) in the id_token only for clients registered
 * for back-channel logout with a session, or when the request asks for it with the claims parameter. Every
 * relying party gets it here, so it can tie its own session to ours (and to a later logout). The library
 * has no option for it: its Client.includeSid() decides, so that is what is replaced, checked at start so
 * that an upgrade which renames it fails loudly instead of silently dropping the claim.
 */
function includeSidForEveryClient(provider: Provider): void {
  const prototype = (provider.Client as unknown as { prototype: { includeSid?: unknown } }).prototype;
  if (typeof prototype.includeSid !== 'function') {
    throw new Error('oidc-provider no longer has Client.includeSid(): sid would be missing from id_tokens');
  }
  prototype.includeSid = () => true;
}

/**
 * oidc-provider checks an id_token_hint as an id_token it issued (IdToken.validate, called when the request
 * arrives). For a client that names its user with another IdP's hint (Entra), the hint is verified by the
 * federation hooks instead, against that IdP's keys; the library's other uses of the hint (its login
 * check compares the hint's sub with the session's, through pairwiseIdentifier) then work as for its own.
 * Replaced at start, checked so that an upgrade which renames it fails loudly.
 */
function acceptExternalHints(provider: Provider, hooks: FederationHooks): void {
  type Validate = (jwt: string, client: { clientId: string }) => Promise<unknown>;
  const IdToken = provider.IdToken as unknown as { validate?: Validate };
  if (typeof IdToken.validate !== 'function') {
    throw new Error('oidc-provider no longer has IdToken.validate(): id_token_hints of other IdPs cannot be checked');
  }
  const own = IdToken.validate.bind(IdToken);
  IdToken.validate = async (jwt, client) => {
    const check = await hooks.externalHint(jwt, client.clientId);
    if (!check) return own(jwt, client);
    if (check.ok) return { header: {}, payload: check.payload };
    if (check.error === 'access_denied') throw new errors.AccessDenied(check.description);
    if (check.error === 'temporarily_unavailable') throw new errors.TemporarilyUnavailable(check.description);
    throw new errors.InvalidRequest(check.description);
  };
}

/** `hooks` with store outages turned into temporarily_unavailable (503), as the stores' adapters do. */
function outageAware(hooks: FederationHooks): FederationHooks {
  const guard =
    <A extends unknown[], R>(work: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await work(...args);
      } catch (error) {
        throw isStoreOutage(error) ? new StoreTemporarilyUnavailable(error) : error;
      }
    };
  return {
    externalHint: guard(hooks.externalHint.bind(hooks)),
    requiresHint: guard(hooks.requiresHint.bind(hooks)),
    subject: guard(hooks.subject.bind(hooks)),
    clientClaims: guard(hooks.clientClaims.bind(hooks)),
    admit: guard(hooks.admit.bind(hooks)),
  };
}
