// The account page's passkeys: list, register, rename, delete. Registering or deleting one needs a fresh
// sign-in with a password and a second factor (an authenticator app or a device certificate), both at most
// passkeys.registration_recency_seconds old, read from what the session proved (session_proofs); a session
// that is not fresh is sent through a new sign-in (prompt=login) and comes back, once; a sign-in that still
// does not qualify gets a page saying why, never a loop. The device a passkey is bound to is the one the
// same session proved, or the one a `latchkey-agent passkey-link` link names (the link proves the device,
// the session proves the person: the link alone never registers anything).
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context } from 'koa';
import type { CsrfTokens } from '../http/csrf.js';
import { setPageCsp } from '../http/security-headers.js';
import type { Proof } from '../interactions/proofs.js';
import type { PasskeyCeremonies } from '../passkeys/ceremonies.js';
import { passkeyKind, type StoredPasskey } from '../passkeys/credential.js';
import type { PasskeyMetadata } from '../passkeys/metadata.js';
import { isMfaMet, type MethodName } from '../policies/index.js';
import type { AuditLog } from '../store/audit.js';
import type { PasskeyRepository } from '../store/passkeys.js';
import type { TicketStore } from '../store/tickets.js';
import type { User } from '../store/users.js';
import {
  deletePasskeyPage,
  passkeysSection,
  reauthenticatePage,
  registerPasskeyPage,
  type ListedPasskey,
} from '../views/account-passkeys.js';
import type { SafeHtml } from '../views/html.js';
import { errorPage } from '../views/pages.js';

/** Ticket kinds: a registration challenge (bound to the account-page session), and a device's link. */
export const REGISTRATION_CHALLENGE = 'passkey-registration';
export const PASSKEY_LINK = 'passkey-link';

export interface AccountPasskeyDeps {
  ceremonies: PasskeyCeremonies;
  metadata: Pick<PasskeyMetadata, 'compromised'>;
  passkeys: PasskeyRepository;
  tickets: Pick<TicketStore, 'issue' | 'redeem'>;
  /** What the browser session `sessionUid` of `accountId` proved that still holds. */
  sessionProofs(sessionUid: string, accountId: string): Promise<readonly Proof[]>;
  deviceLabel(deviceId: string): Promise<string | undefined>;
  audit: Pick<AuditLog, 'record'>;
  csrf: CsrfTokens;
  recencySeconds: number;
  challengeTtlSeconds: number;
  lifetimeDays: number;
}

/** What the account router lends its passkey routes: who is signed in, and a way to sign in again. */
export interface AccountSessionAccess {
  current(ctx: Context): Promise<{ user: User; sessionUid: string | undefined } | undefined>;
  /** Sends the browser through a sign-in and back to `returnTo`; `fresh` forces a new one (prompt=login). */
  signIn(ctx: Context, returnTo: string, fresh: boolean): void;
}

/** Whether the session's password and second factor are recent enough, and the device it proved. */
interface Freshness {
  fresh: boolean;
  /** Seconds until it is no longer fresh. */
  remaining: number;
  deviceId?: string;
}

const SECOND_FACTORS: readonly MethodName[] = ['totp', 'device_certificate'];

/** How fresh `proofs` are at `now` (seconds) for a registration window of `window` seconds. */
export function freshness(proofs: readonly Proof[], now: number, window: number): Freshness {
  const recent = proofs.filter((proof) => now - proof.at <= window);
  const password = recent.find((proof) => proof.method === 'password');
  const second = recent.filter((proof) => SECOND_FACTORS.includes(proof.method));
  const methods = new Set(
    recent.map((proof) => proof.method).filter((m) => m === 'password' || SECOND_FACTORS.includes(m)),
  );
  const deviceId = proofs.find((proof) => proof.device)?.device?.id;
  if (!password || second.length === 0 || !isMfaMet(methods)) return { fresh: false, remaining: 0, deviceId };
  const since = Math.min(password.at, Math.max(...second.map((proof) => proof.at)));
  return { fresh: true, remaining: window - (now - since), deviceId };
}

export function accountPasskeys(deps: AccountPasskeyDeps) {
  const forms = bodyParser({ enableTypes: ['form'], formLimit: '96kb' });
  const minutes = Math.max(1, Math.round(deps.recencySeconds / 60));
  const nowSeconds = () => Math.floor(Date.now() / 1000);

  async function freshOf(sessionUid: string | undefined, user: User): Promise<Freshness> {
    const proofs = sessionUid ? await deps.sessionProofs(sessionUid, user.id) : [];
    return freshness(proofs, nowSeconds(), deps.recencySeconds);
  }

  /** Fresh, or the browser was sent to sign in again (or told why it cannot): then undefined. */
  async function requireFresh(
    ctx: Context,
    access: AccountSessionAccess,
    signedIn: { user: User; sessionUid: string | undefined },
    action: string,
    returnTo: string,
  ): Promise<Freshness | undefined> {
    const state = await freshOf(signedIn.sessionUid, signedIn.user);
    if (state.fresh) return state;
    // Back from a fresh sign-in that still does not qualify (a passkey, no second factor): say so, no loop.
    if (ctx.query.signed_in === '1') {
      page(ctx, reauthenticatePage({ action, retry: withoutSignedIn(returnTo), minutes }), 403);
      return undefined;
    }
    access.signIn(ctx, withSignedIn(returnTo), true);
    return undefined;
  }

  async function showRegistration(
    ctx: Context,
    user: User,
    sessionUid: string | undefined,
    state: Freshness,
    deviceId: string | undefined,
    error?: { status: number; message: string },
  ): Promise<void> {
    const ttl = Math.max(1, Math.min(deps.challengeTtlSeconds, state.remaining));
    const challenge = await deps.tickets.issue(
      REGISTRATION_CHALLENGE,
      { sub: user.id, sid: sessionUid ?? null, deviceId: deviceId ?? null },
      ttl,
    );
    const exclude = (await deps.passkeys.list(user.id)).filter((passkey) => passkey.revokedAt === null);
    const options = await deps.ceremonies.registrationOptions({ challenge, user, exclude });
    const deviceLabel = deviceId ? ((await deps.deviceLabel(deviceId)) ?? 'an enrolled device') : undefined;
    page(
      ctx,
      registerPasskeyPage({
        options,
        csrf: deps.csrf.issue(`account:${user.id}`),
        deviceLabel,
        suggestedName: deviceLabel ? `Passkey on ${deviceLabel}`.slice(0, 64) : 'My passkey',
        error: error?.message,
      }),
      error?.status ?? 200,
      true,
    );
  }

  return {
    /** The Passkeys section of /account for `user`. */
    async section(user: User, csrf: string, notice?: string): Promise<SafeHtml> {
      const passkeys = await deps.passkeys.list(user.id);
      const labels = await deps.passkeys.deviceLabels(passkeys.flatMap((p) => (p.deviceId ? [p.deviceId] : [])));
      const listed: ListedPasskey[] = passkeys.map((p) => ({
        ...p,
        deviceLabel: p.deviceId ? labels.get(p.deviceId) : undefined,
      }));
      return passkeysSection({ passkeys: listed, csrf, now: Date.now(), notice: notice ? NOTICES[notice] : undefined });
    },

    /** Adds the /account/passkeys routes to the account router. */
    routes(router: Router, access: AccountSessionAccess): void {
      router.get('/passkeys/new', async (ctx) => {
        const signedIn = await access.current(ctx);
        if (!signedIn) return access.signIn(ctx, '/account/passkeys/new', false);
        const state = await requireFresh(ctx, access, signedIn, 'register a passkey', '/account/passkeys/new');
        if (state) await showRegistration(ctx, signedIn.user, signedIn.sessionUid, state, state.deviceId);
      });

      router.get('/passkeys/link', async (ctx) => {
        const token = typeof ctx.query.token === 'string' ? ctx.query.token : '';
        const here = `/account/passkeys/link?token=${encodeURIComponent(token)}`;
        const signedIn = await access.current(ctx);
        if (!signedIn) return access.signIn(ctx, here, false);
        const state = await requireFresh(ctx, access, signedIn, 'register a passkey', here);
        if (!state) return;
        const link = (await deps.tickets.redeem(PASSKEY_LINK, token)) as
          { userId?: string; deviceId?: string } | undefined;
        const base = { event: 'passkey.link', userId: signedIn.user.id, username: signedIn.user.username, ip: ctx.ip };
        if (!link || link.userId !== signedIn.user.id || typeof link.deviceId !== 'string') {
          const reason = link ? 'ERR_PASSKEY_LINK_OTHER_USER' : 'ERR_PASSKEY_LINK';
          await deps.audit.record({ ...base, deviceId: link?.deviceId, outcome: 'failure', reasons: [reason] });
          return page(
            ctx,
            errorPage(
              'Registration link not usable',
              link
                ? 'This link was made on a device enrolled to another account. Sign in as the device’s owner, or run latchkey-agent passkey-link as yourself.'
                : 'This registration link has expired or was already used. Run "latchkey-agent passkey-link" on your device again.',
            ),
            400,
          );
        }
        await deps.audit.record({ ...base, deviceId: link.deviceId, outcome: 'success' });
        await showRegistration(ctx, signedIn.user, signedIn.sessionUid, state, link.deviceId);
      });

      router.post('/passkeys', forms, async (ctx) => {
        const signedIn = await access.current(ctx);
        if (!signedIn) return void ctx.redirect('/account');
        const body = (ctx.request.body ?? {}) as Record<string, unknown>;
        if (!deps.csrf.verify(`account:${signedIn.user.id}`, body.csrf)) return formExpired(ctx);
        const { user, sessionUid } = signedIn;
        const audit = {
          event: 'passkey.register',
          userId: user.id,
          username: user.username,
          ip: ctx.ip,
          userAgent: ctx.get('user-agent') || undefined,
        };
        const refuse = async (code: string, reason: string, message: string, deviceId?: string) => {
          await deps.audit.record({ ...audit, outcome: 'failure', reasons: [code, reason] });
          const state = await freshOf(sessionUid, user);
          if (!state.fresh)
            return page(
              ctx,
              reauthenticatePage({ action: 'register a passkey', retry: '/account/passkeys/new', minutes }),
              403,
            );
          await showRegistration(ctx, user, sessionUid, state, deviceId ?? state.deviceId, { status: 400, message });
        };
        const name = passkeyName(body.name);
        if (!name) return refuse('ERR_PASSKEY_NAME', 'bad name', 'Give the passkey a name of 1 to 64 characters.');
        const parsed = deps.ceremonies.parseRegistration(body.credential);
        if (!parsed.ok)
          return refuse(
            parsed.code,
            parsed.reason,
            REGISTRATION_MESSAGES[parsed.code] ?? REGISTRATION_MESSAGES.default!,
          );
        const challenge = (await deps.tickets.redeem(REGISTRATION_CHALLENGE, parsed.challenge)) as
          { sub?: string; sid?: string | null; deviceId?: string | null } | undefined;
        if (!challenge || challenge.sub !== user.id || challenge.sid !== (sessionUid ?? null)) {
          return refuse(
            'ERR_PASSKEY_CHALLENGE',
            'challenge replayed, expired or of another session',
            REGISTRATION_MESSAGES.ERR_PASSKEY_CHALLENGE!,
          );
        }
        const deviceId = challenge.deviceId ?? undefined;
        const verified = await deps.ceremonies.verifyRegistration(parsed.response, parsed.challenge);
        if (!verified.ok)
          return refuse(
            verified.code,
            verified.reason,
            REGISTRATION_MESSAGES[verified.code] ?? REGISTRATION_MESSAGES.default!,
            deviceId,
          );
        const { credential } = verified;
        if (deps.metadata.compromised(credential.aaguid)) {
          return refuse(
            'ERR_PASSKEY_AAGUID',
            `FIDO metadata reports model ${credential.aaguid} compromised`,
            REGISTRATION_MESSAGES.ERR_PASSKEY_AAGUID!,
            deviceId,
          );
        }
        const now = Date.now();
        let stored: StoredPasskey;
        try {
          stored = await deps.passkeys.add({
            userId: user.id,
            deviceId: deviceId ?? null,
            name,
            credential,
            createdAt: now,
            expiresAt: now + deps.lifetimeDays * 86_400_000,
          });
        } catch (error) {
          if ((error as { code?: string }).code !== 'ERR_PASSKEY_EXCLUDED') throw error;
          return refuse(
            'ERR_PASSKEY_EXCLUDED',
            'credential already registered',
            REGISTRATION_MESSAGES.ERR_PASSKEY_EXCLUDED!,
            deviceId,
          );
        }
        await deps.audit.record({
          ...audit,
          deviceId,
          outcome: 'success',
          reasons: [
            passkeyKind(stored),
            `attestation ${stored.attestationFormat}${stored.attestationVerified ? ' verified' : ' not verified'}`,
          ],
          detail: { passkey: stored.id, aaguid: stored.aaguid, backupEligible: stored.backupEligible },
        });
        ctx.status = 303;
        ctx.redirect('/account?notice=passkey-registered#passkeys');
      });

      router.post('/passkeys/:id/rename', forms, async (ctx) => {
        const signedIn = await access.current(ctx);
        if (!signedIn) return void ctx.redirect('/account');
        const body = (ctx.request.body ?? {}) as Record<string, unknown>;
        if (!deps.csrf.verify(`account:${signedIn.user.id}`, body.csrf)) return formExpired(ctx);
        const name = passkeyName(body.name);
        const renamed = name ? await deps.passkeys.rename(String(ctx.params.id), signedIn.user.id, name) : false;
        ctx.status = 303;
        ctx.redirect(`/account?notice=${renamed ? 'passkey-renamed' : 'passkey-name-invalid'}#passkeys`);
      });

      router.get('/passkeys/:id/delete', async (ctx) => {
        const here = `/account/passkeys/${encodeURIComponent(String(ctx.params.id))}/delete`;
        const signedIn = await access.current(ctx);
        if (!signedIn) return access.signIn(ctx, here, false);
        const passkey = await ownPasskey(deps, String(ctx.params.id), signedIn.user);
        if (!passkey)
          return page(
            ctx,
            errorPage('Passkey not found', 'That passkey is not one of yours, or it was already deleted.'),
            404,
          );
        if (!(await requireFresh(ctx, access, signedIn, 'delete a passkey', here))) return;
        page(ctx, deletePasskeyPage({ passkey, csrf: deps.csrf.issue(`account:${signedIn.user.id}`) }));
      });

      router.post('/passkeys/:id/delete', forms, async (ctx) => {
        const signedIn = await access.current(ctx);
        if (!signedIn) return void ctx.redirect('/account');
        const body = (ctx.request.body ?? {}) as Record<string, unknown>;
        if (!deps.csrf.verify(`account:${signedIn.user.id}`, body.csrf)) return formExpired(ctx);
        const id = String(ctx.params.id);
        const state = await freshOf(signedIn.sessionUid, signedIn.user);
        if (!state.fresh) {
          ctx.status = 303;
          return void ctx.redirect(`/account/passkeys/${encodeURIComponent(id)}/delete`);
        }
        const removed = await deps.passkeys.remove(id, signedIn.user.id);
        await deps.audit.record({
          event: 'passkey.delete',
          userId: signedIn.user.id,
          username: signedIn.user.username,
          ip: ctx.ip,
          outcome: removed ? 'success' : 'failure',
          reasons: removed ? ['deleted by its owner'] : ['ERR_PASSKEY_UNKNOWN'],
          detail: { passkey: id },
        });
        ctx.status = 303;
        ctx.redirect(`/account?notice=${removed ? 'passkey-deleted' : 'passkey-missing'}#passkeys`);
      });
    },
  };
}

export type AccountPasskeys = ReturnType<typeof accountPasskeys>;

const NOTICES: Record<string, string> = {
  'passkey-registered': 'Your passkey is registered. Next time, choose "Sign in with a passkey".',
  'passkey-renamed': 'The passkey was renamed.',
  'passkey-name-invalid': 'A passkey name must be 1 to 64 characters: nothing was changed.',
  'passkey-deleted': 'The passkey was deleted. Remove it from your device too.',
  'passkey-missing': 'That passkey was already deleted.',
};

const REGISTRATION_MESSAGES: Record<string, string> = {
  ERR_PASSKEY_MALFORMED: 'The browser sent a passkey response Latchkey cannot read. Try again.',
  ERR_PASSKEY_CHALLENGE: 'This registration expired or was already used. Try again.',
  ERR_PASSKEY_ORIGIN: 'This passkey was created for another site. Try again from this page.',
  ERR_PASSKEY_RP_ID: 'This passkey was created for another site. Try again from this page.',
  ERR_PASSKEY_USER_VERIFICATION:
    'Your authenticator did not verify you with a fingerprint, face or PIN, which passkeys here require. Use an authenticator that can.',
  ERR_PASSKEY_AAGUID: 'Your organisation does not accept this kind of authenticator. Use another one.',
  ERR_PASSKEY_EXCLUDED: 'This passkey is already registered.',
  ERR_PASSKEY_ATTESTATION: 'The authenticator’s response did not verify. Try again.',
  default: 'The passkey could not be registered. Try again.',
};

/** A name of 1-64 printable characters, trimmed; undefined otherwise. */
function passkeyName(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const name = value.trim();
  return name.length >= 1 && name.length <= 64 && !/[\u0000-\u001f\u007f]/.test(name) ? name : undefined;
}

async function ownPasskey(deps: AccountPasskeyDeps, id: string, user: User): Promise<StoredPasskey | undefined> {
  const passkey = await deps.passkeys.find(id);
  return passkey?.userId === user.id ? passkey : undefined;
}

function withSignedIn(path: string): string {
  return `${path}${path.includes('?') ? '&' : '?'}signed_in=1`;
}

function withoutSignedIn(path: string): string {
  return path.replace(/[?&]signed_in=1$/, '');
}

function page(ctx: Context, body: string, status = 200, scripts = false): void {
  setPageCsp(ctx, [], scripts);
  ctx.status = status;
  ctx.type = 'html';
  ctx.set('Cache-Control', 'no-store');
  ctx.body = body;
}

function formExpired(ctx: Context): void {
  page(ctx, errorPage('Form expired', 'This form has expired. Open your account page again.'), 403);
}
