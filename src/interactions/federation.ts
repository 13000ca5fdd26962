// The sign-in wing's side of the federated factor: what oidc-provider asks of it (FederationHooks: Entra's
// hint, the sub a pairwise client receives, a factor client's claims, the loop guard) and what a factor
// sign-in needs to know (whom the other IdP says it is for, what the client is set up to do).
import { randomUUID } from 'node:crypto';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { deviceContext, type ComplianceRule, type ContextDevice } from '../federation/device-context.js';
import {
  decodeVerifiedHint,
  EntraHintError,
  type EntraHint,
  type EntraHintVerifier,
} from '../federation/entra-hint.js';
import type { EntraSettings, FactorSettings } from '../federation/settings.js';
import { fieldSource, findUserByField, hintClaim, hintNames } from '../federation/subject.js';
import { userFieldValue } from '../federation/user-fields.js';
import type { Logger } from '../log.js';
import type { ExternalHintCheck, FederationHooks } from '../oidc/provider.js';
import type { StoredClient } from '../store/clients.js';
import type { User, UserRepository } from '../store/users.js';
import { isStorableId } from '../store/oidc-adapter.js';
import { BROWSER_COOKIE, browserKey, newBrowserId, type LoopGuard } from './loop-guard.js';
import { provenDevice, type Proof } from './proofs.js';
import type { SessionProofService } from './session-proofs.js';

/** Whom the federating IdP says a sign-in is for: the proven user must be them. */
export interface ExpectedUser {
  /** The Latchkey user the hint names; null when it names nobody here. */
  id: string | null;
  /** How the hint named them (the login_hint, or the Entra hint's claim), to say so in a refusal. */
  named: string;
  /** A hint that cannot name anyone: why (the sign-in is refused with it). */
  refusal?: string;
}

/** What a factor sign-in brings to the flow. */
export interface FactorSignIn {
  settings: FactorSettings;
  clientName: string;
  expected?: ExpectedUser;
}

export interface FederationDeps {
  clients: { find(clientId: string): Promise<StoredClient | undefined> };
  users: Pick<
    UserRepository,
    'findById' | 'findByLogin' | 'findByUsername' | 'findByEmail' | 'findByAttribute' | 'attributes'
  >;
  sessionProofs: Pick<SessionProofService, 'current'>;
  hints: EntraHintVerifier;
  compliance: ComplianceRule;
  loopGuard: LoopGuard;
  log: Logger;
}

const YEAR_SECONDS = 365 * 24 * 3600;

export class FederatedSignIn implements FederationHooks {
  constructor(private readonly deps: FederationDeps) {}

  /** What factor client `clientId` is set up to do; undefined for other clients. */
  async factorOf(clientId: string): Promise<{ settings: FactorSettings; name: string } | undefined> {
    const client = await this.deps.clients.find(clientId);
    return client?.kind === 'factor' && client.factor ? { settings: client.factor, name: client.name } : undefined;
  }

  /** The factor side of a sign-in of `clientId` with these authorization parameters, or undefined. */
  async signIn(clientId: string, params: Readonly<Record<string, unknown>>): Promise<FactorSignIn | undefined> {
    return this.signInOf(await this.deps.clients.find(clientId), params);
  }

  /** signIn() for a client already read. */
  async signInOf(
    client: StoredClient | undefined,
    params: Readonly<Record<string, unknown>>,
  ): Promise<FactorSignIn | undefined> {
    if (client?.kind !== 'factor' || !client.factor) return undefined;
    return { settings: client.factor, clientName: client.name, expected: await this.expected(client.factor, params) };
  }

  async externalHint(hint: string, clientId: string): Promise<ExternalHintCheck | undefined> {
    const entra = (await this.factorOf(clientId))?.settings.entra;
    if (!entra) return undefined;
    const refuse = (error: Exclude<ExternalHintCheck, { ok: true }>['error'], description: string) => {
      this.deps.log.warn({ clientId, reason: description }, 'refused an Entra id_token_hint');
      return { ok: false as const, error, description };
    };
    let verified: EntraHint;
    try {
      const audiences = [clientId, ...(entra.appId ? [entra.appId] : [])];
      verified = await this.deps.hints.verify(hint, entra, audiences, Math.floor(Date.now() / 1000));
    } catch (error) {
      if (!(error instanceof EntraHintError)) throw error;
      return refuse(error.kind === 'unavailable' ? 'temporarily_unavailable' : 'invalid_request', error.message);
    }
    const named = await this.hintedUser(verified, entra);
    if (!named.user) return refuse('access_denied', named.why);
    return { ok: true, payload: { ...verified } };
  }

  async requiresHint(clientId: string): Promise<boolean> {
    return Boolean((await this.factorOf(clientId))?.settings.entra);
  }

  async subject(params: Readonly<Record<string, unknown>>, accountId: string, clientId: string): Promise<string> {
    const entra = (await this.factorOf(clientId))?.settings.entra;
    const token = params.id_token_hint;
    if (entra && typeof token === 'string') {
      // The hint was verified when its request arrived (IdToken.validate); the interaction kept it.
      const hint = decodeVerifiedHint(token);
      if ((await this.hintedUser(hint, entra)).user?.id === accountId) return hint.sub;
    }
    // Another account than the one the hint names (or no hint): a subject that matches nothing, so
    // oidc-provider's own comparison asks for a sign-in instead of reusing the session.
    return `unmatched-${randomUUID()}`;
  }

  async clientClaims(
    clientId: string,
    user: User,
    session: { uid?: string; proven?: unknown },
  ): Promise<Record<string, unknown>> {
    const factor = await this.factorOf(clientId);
    if (!factor) return {};
    const { settings } = factor;
    const source = await fieldSource(this.deps.users, user, settings.preferredUsername);
    return {
      preferred_username: userFieldValue(source, settings.preferredUsername),
      device_context: deviceContext(await this.sessionDevice(user, session), this.deps.compliance),
    };
  }

  async admit(ctx: KoaContextWithOIDC, clientId: string, clientName: string): Promise<string | undefined> {
    // Only page loads count: an image, a script or a fetch another site embeds to fill the count arrives
    // with Sec-Fetch-Dest image, script or empty (every current browser sends it; clients that send none,
    // such as server-side HTTP libraries, are counted).
    const dest = ctx.get('sec-fetch-dest');
    if (dest && dest !== 'document') return undefined;
    const key = browserKey(ctx.cookies.get(BROWSER_COOKIE));
    if (!key) {
      // SameSite=None: Entra's requests are cross-site POSTs, which would not carry a Lax cookie.
      ctx.cookies.set(BROWSER_COOKIE, newBrowserId(), {
        httpOnly: true,
        secure: true,
        sameSite: 'none',
        maxAge: YEAR_SECONDS * 1000,
        signed: false,
        overwrite: true,
      });
      return undefined;
    }
    const verdict = await this.deps.loopGuard.admit(key, clientId, clientName);
    if (verdict.ok) return undefined;
    this.deps.log.warn({ clientId, ip: ctx.ip, count: verdict.count }, 'loop guard refused an authorization request');
    return verdict.description;
  }

  /**
   * Why a finished factor sign-in of `user` cannot be answered: the client matches users on a value of
   * theirs they do not have (preferred_username from an attribute never set). Undefined: it can.
   */
  async unanswerable(factor: FactorSignIn, user: User): Promise<string | undefined> {
    const field = factor.settings.preferredUsername;
    if (userFieldValue(await fieldSource(this.deps.users, user, field), field) !== undefined) return undefined;
    return (
      `${factor.clientName} finds its users by their ${field.replace('attribute:', '')}, and ${user.username} has ` +
      'none in Latchkey: ask your administrator to set it (latchkey users set-attribute).'
    );
  }

  /** The device behind the claims: what the sign-in just proved, else what the session proved, as it stands now. */
  private async sessionDevice(
    user: User,
    session: { uid?: string; proven?: unknown },
  ): Promise<ContextDevice | undefined> {
    const fresh = (session.proven as { proofs?: Proof[] } | undefined)?.proofs;
    const proofs = Array.isArray(fresh)
      ? fresh
      : (await this.deps.sessionProofs.current(session.uid, user.id, Math.floor(Date.now() / 1000))).proofs;
    return provenDevice(proofs);
  }

  /** Whom the request's hint names: Entra's id_token_hint, else a login_hint. */
  private async expected(
    settings: FactorSettings,
    params: Readonly<Record<string, unknown>>,
  ): Promise<ExpectedUser | undefined> {
    if (settings.entra && typeof params.id_token_hint === 'string') {
      const hint = decodeVerifiedHint(params.id_token_hint);
      const { user } = await this.hintedUser(hint, settings.entra);
      return { id: user?.id ?? null, named: hintClaim(hint, settings.entra.matchClaim) ?? hint.sub };
    }
    const login = params.login_hint;
    if (login === undefined || login === '') return undefined;
    // A hint that cannot name anyone is refused, not ignored: ignoring it would skip the check it asks for.
    if (typeof login !== 'string' || login.length > 320 || !isStorableId(login)) {
      return {
        id: null,
        named: 'login_hint',
        refusal: 'The login_hint sent cannot name a Latchkey user (over 320 characters, or control characters).',
      };
    }
    const byLogin = await this.deps.users.findByLogin(login);
    const user = byLogin ?? (await findUserByField(this.deps.users, settings.preferredUsername, login));
    const source = user && (await fieldSource(this.deps.users, user, settings.preferredUsername));
    return {
      id: user && source && hintNames(login, source, settings.preferredUsername) ? user.id : null,
      named: login,
    };
  }

  /** The active user an Entra hint names, or why none. */
  private async hintedUser(hint: EntraHint, entra: EntraSettings): Promise<{ user?: User; why: string }> {
    const value = hintClaim(hint, entra.matchClaim);
    if (!value) return { why: `id_token_hint carries no ${entra.matchClaim} claim to find the user by` };
    const user = await findUserByField(this.deps.users, entra.matchField, value);
    if (!user || user.disabled) {
      return { why: `no active Latchkey user has ${entra.matchField} "${value}" (the hint's ${entra.matchClaim})` };
    }
    return { user, why: '' };
  }
}
