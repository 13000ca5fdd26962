// Passkeys: a discoverable WebAuthn credential, user verification required, identifies its owner (no
// username needed). One factory, two registered methods:
//   passkey               any passkey; its proof is `device_bound_passkey` when the credential is bound to
//                         a device Latchkey knows (which also meets `passkey`), else `passkey`;
//   device_bound_passkey  only such credentials (factor clients, and policies that ask for one).
// Each start() issues a single-use challenge (a ticket: stored hashed, TTL'd, bound to this interaction)
// and embeds the request options in the page; the page script posts the assertion as a form. verify():
// parse (JSON, base64url, CBOR) → check origin, RP ID, user verification → redeem the challenge (it must be
// this interaction's) → the stored credential usable (not deleted, revoked or expired) → signature →
// counter (refuse or flag) → device still standing → proof.
import type { CeremonyFailure, PasskeyCeremonies, ParsedAssertion } from '../../passkeys/ceremonies.js';
import { amrOf, counterRegressed, methodOf, usability, type StoredPasskey } from '../../passkeys/credential.js';
import { PLATFORMS, type Platform } from '../../policies/index.js';
import type { AuditLog } from '../../store/audit.js';
import type { PasskeyRepository } from '../../store/passkeys.js';
import type { TicketStore } from '../../store/tickets.js';
import type { DeviceRecordStanding } from '../../trust/service/index.js';
import type { UserRepository } from '../../store/users.js';
import { passkeyOffer, passkeyPage } from '../../views/passkey-pages.js';
import type { Proof, ProvenDevice } from '../proofs.js';
import { auditBase, retry } from './shared.js';
import type { MethodContext, SignInMethod } from './types.js';

export interface PasskeyMethodDeps {
  ceremonies: PasskeyCeremonies;
  passkeys: Pick<PasskeyRepository, 'findByCredentialId' | 'recordUse' | 'hasUsable' | 'anyDeviceBound'>;
  tickets: Pick<TicketStore, 'issue' | 'redeem'>;
  /** Whether the device a passkey was registered on still stands. */
  deviceStanding(deviceId: string): Promise<DeviceRecordStanding>;
  users: Pick<UserRepository, 'findById'>;
  audit: Pick<AuditLog, 'record'>;
  counterRegression: 'refuse' | 'flag';
  challengeTtlSeconds: number;
  now?: () => number;
}

/** Ticket kind of a sign-in challenge (the challenge itself is the ticket's reference). */
export const ASSERTION_CHALLENGE = 'passkey-assertion';

const REGISTER_AGAIN = 'Sign in another way, then register a passkey again on your account page (/account → Passkeys).';

export type PasskeyVariant = 'passkey' | 'device_bound_passkey';

/** The passkey sign-in method of `variant` (see the module comment). */
export function passkeyMethod(deps: PasskeyMethodDeps, variant: PasskeyVariant): SignInMethod {
  const now = deps.now ?? Date.now;
  const deviceBound = variant === 'device_bound_passkey';
  const options = async (ctx: MethodContext) => {
    const challenge = await deps.tickets.issue(ASSERTION_CHALLENGE, { uid: ctx.uid }, deps.challengeTtlSeconds);
    return deps.ceremonies.authenticationOptions(challenge);
  };
  return {
    name: variant,
    identifies: true,
    text: deviceBound
      ? {
          requirement: 'a passkey bound to a device enrolled with Latchkey',
          hint: 'Register a passkey on your account page from a device enrolled with Latchkey (latchkey-agent passkey-link), then sign in from that device.',
        }
      : {
          requirement: 'a passkey (with fingerprint, face or PIN)',
          hint: 'Register a passkey on your account page (/account → Passkeys), then try again.',
        },
    enrolled: (user) =>
      deps.passkeys.hasUsable(user.id, now(), (passkey) => !deviceBound || methodOf(passkey) === variant),
    ...(deviceBound ? { inUse: () => deps.passkeys.anyDeviceBound(now()) } : {}),

    async start(ctx, failure) {
      return {
        kind: 'page',
        html: passkeyPage(ctx.form, {
          options: await options(ctx),
          error: failure?.message,
          deviceBound,
          otherWays:
            ctx.client.kind === 'factor' || deviceBound ? undefined : `/interaction/${encodeURIComponent(ctx.uid)}`,
        }),
        status: failure?.status,
        scripts: true,
      };
    },

    async offer(ctx) {
      const html = passkeyOffer({
        action: ctx.form.action,
        csrf: ctx.form.csrf,
        options: await options(ctx),
        autofill: true,
      });
      return { html, scripts: true, autofill: true };
    },

    async verify(ctx, input) {
      const base = { ...auditBase('login.passkey', ctx.request), userId: ctx.user?.id, username: ctx.user?.username };
      const refuse = async (failure: CeremonyFailure & { status?: number; message?: string }, extra = {}) => {
        await deps.audit.record({ ...base, ...extra, outcome: 'failure', reasons: [failure.code, failure.reason] });
        return retry(failure.status ?? 400, failure.code, failure.message ?? messageFor(failure.code));
      };
      if (deviceBound && input.kind === 'form' && input.fields.decline === '1') {
        // "I have no passkey on this device": the device stays unproven and the flow decides without it.
        await deps.audit.record({ ...base, outcome: 'failure', reasons: ['ERR_PASSKEY_DECLINED'] });
        return { ok: false, settled: true, code: 'ERR_PASSKEY_DECLINED', message: 'No device-bound passkey was used.' };
      }
      const raw = input.kind === 'form' ? input.fields.credential : undefined;
      const parsed = deps.ceremonies.parseAssertion(raw);
      if (!parsed.ok) return refuse(parsed);
      const { assertion } = parsed;
      const handed = (await deps.tickets.redeem(ASSERTION_CHALLENGE, assertion.challenge)) as
        { uid?: unknown } | undefined;
      if (handed?.uid !== ctx.uid) {
        return refuse({
          ok: false,
          code: 'ERR_PASSKEY_CHALLENGE',
          reason: 'challenge replayed, expired or of another sign-in',
        });
      }
      const passkey = await deps.passkeys.findByCredentialId(assertion.credentialId);
      if (!passkey) {
        return refuse({
          ok: false,
          code: 'ERR_PASSKEY_UNKNOWN',
          reason: `credential ${assertion.credentialId.slice(0, 16)}… is not registered`,
          status: 401,
        });
      }
      const about = { userId: passkey.userId, detail: { passkey: passkey.id } };
      const owner = await deps.users.findById(passkey.userId);
      if (!owner || owner.disabled) {
        return refuse({ ok: false, code: 'ERR_USER_DISABLED', reason: 'the account is disabled', status: 403 }, about);
      }
      if (ctx.user && ctx.user.id !== passkey.userId) {
        return refuse(
          { ok: false, code: 'ERR_PASSKEY_OTHER_USER', reason: 'the passkey belongs to another account', status: 403 },
          about,
        );
      }
      const usable = usability(passkey, now());
      if (!usable.ok) return refuse({ ok: false, code: usable.code, reason: usable.reason, status: 401 }, about);
      if (!userHandleMatches(assertion, passkey)) {
        return refuse(
          {
            ok: false,
            code: 'ERR_PASSKEY_SIGNATURE',
            reason: 'the user handle is not the passkey owner’s',
            status: 401,
          },
          about,
        );
      }
      const verified = await deps.ceremonies.verifyAssertion(assertion, passkey);
      if (!verified.ok) return refuse({ ...verified, status: 401 }, about);
      // The backup-eligibility flag never changes for a credential: a device-bound one that now says it
      // can be synced is not the credential that was registered.
      if (verified.backupEligible && !passkey.backupEligible) {
        return refuse(
          {
            ok: false,
            code: 'ERR_PASSKEY_BACKUP_STATE',
            reason: 'a device-bound passkey reported backup eligibility',
            status: 401,
          },
          about,
        );
      }
      const regressed = counterRegressed(passkey.counter, verified.counter);
      if (regressed && deps.counterRegression === 'refuse') {
        return refuse(
          {
            ok: false,
            code: 'ERR_PASSKEY_COUNTER',
            reason: `signature counter ${verified.counter} did not exceed ${passkey.counter}`,
            status: 401,
          },
          about,
        );
      }
      const device = await provenDeviceOf(deps, passkey);
      if (device.kind === 'refused') {
        return refuse({ ok: false, code: device.code, reason: device.reason, status: 403 }, about);
      }
      const method = device.device ? 'device_bound_passkey' : 'passkey';
      if (deviceBound && method !== 'device_bound_passkey') {
        return refuse(
          { ok: false, code: 'ERR_PASSKEY_NOT_DEVICE_BOUND', reason: device.why ?? 'not device-bound', status: 403 },
          about,
        );
      }
      const at = now();
      const recorded = await deps.passkeys.recordUse(passkey.id, {
        from: passkey.counter,
        to: verified.counter,
        backedUp: verified.backedUp,
        at,
        flagged: regressed,
      });
      if (!recorded) {
        return refuse(
          {
            ok: false,
            code: 'ERR_PASSKEY_COUNTER',
            reason: 'another sign-in with this passkey moved the counter first',
            status: 401,
          },
          about,
        );
      }
      if (regressed) {
        await deps.audit.record({
          ...base,
          event: 'passkey.counter_regression',
          userId: passkey.userId,
          username: owner.username,
          outcome: 'failure',
          reasons: [
            `signature counter ${verified.counter} did not exceed ${passkey.counter}; accepted (counter_regression: flag)`,
          ],
          detail: { passkey: passkey.id },
        });
      }
      await deps.audit.record({
        ...base,
        userId: passkey.userId,
        username: owner.username,
        deviceId: device.device?.id,
        outcome: 'success',
        reasons: [method, passkey.attestationVerified ? 'attestation verified' : 'attestation not verified'],
        detail: { passkey: passkey.id, aaguid: passkey.aaguid, backupEligible: passkey.backupEligible },
      });
      return { ok: true, proof: proofOf(passkey, method, device.device, at) };
    },
  };
}

/**
 * Whether passkey `id` still stands after sign-in (session re-checks): on record, not revoked or expired,
 * its owner enabled, and, when device-bound, the device it proves now.
 */
export function passkeyStandings(
  deps: Pick<PasskeyMethodDeps, 'users' | 'deviceStanding' | 'now'> & { passkeys: Pick<PasskeyRepository, 'find'> },
) {
  return {
    async standing(id: string): Promise<{ ok: true; device?: ProvenDevice } | { ok: false; reason: string }> {
      const passkey = await deps.passkeys.find(id);
      if (!passkey) return { ok: false, reason: 'the passkey proven at sign-in was deleted' };
      const usable = usability(passkey, (deps.now ?? Date.now)());
      if (!usable.ok) return { ok: false, reason: `${usable.reason} since sign-in` };
      const owner = await deps.users.findById(passkey.userId);
      if (!owner || owner.disabled) return { ok: false, reason: 'the account is disabled' };
      const device = await provenDeviceOf(deps, passkey);
      if (device.kind === 'refused') return { ok: false, reason: device.reason };
      return { ok: true, device: device.device };
    },
  };
}

type DeviceOutcome =
  { kind: 'device'; device?: ProvenDevice; why?: string } | { kind: 'refused'; code: string; reason: string };

/**
 * The device a passkey proves: only a device-bound one does, and only while its device stands. A device
 * that was removed or revoked takes its passkeys with it (refused); distribution off or a device that does
 * not stand for another reason leaves a plain passkey proof.
 */
async function provenDeviceOf(
  deps: Pick<PasskeyMethodDeps, 'deviceStanding'>,
  passkey: StoredPasskey,
): Promise<DeviceOutcome> {
  if (methodOf(passkey) !== 'device_bound_passkey' || passkey.deviceId === null) {
    return {
      kind: 'device',
      why: passkey.backupEligible ? 'the passkey is synced' : 'the passkey is not bound to a known device',
    };
  }
  const standing = await deps.deviceStanding(passkey.deviceId);
  if (!standing.ok) {
    if (standing.code === 'ERR_DEVICE_REVOKED')
      return { kind: 'refused', code: 'ERR_PASSKEY_DEVICE_REVOKED', reason: standing.reason };
    return { kind: 'device', why: standing.reason };
  }
  const { device } = standing;
  return {
    kind: 'device',
    device: {
      id: device.id,
      userId: device.userId,
      trust: device.compliant ? 'trusted' : 'managed',
      platform: (PLATFORMS as readonly string[]).includes(device.platform) ? (device.platform as Platform) : undefined,
      osVersion: device.osVersion ?? undefined,
      managed: device.managed,
      compliant: device.compliant,
    },
  };
}

function proofOf(passkey: StoredPasskey, method: PasskeyVariant, device: ProvenDevice | undefined, at: number): Proof {
  return {
    method,
    at: Math.floor(at / 1000),
    amr: amrOf(passkey),
    userId: passkey.userId,
    expiresAt: Math.floor(passkey.expiresAt / 1000),
    detail: { passkey: passkey.id },
    ...(device ? { device } : {}),
  };
}

/** A user handle, when the authenticator returns one, must be the owner's (we register the user id). */
function userHandleMatches(assertion: ParsedAssertion, passkey: StoredPasskey): boolean {
  const handle = assertion.response.response.userHandle;
  return handle === undefined || Buffer.from(handle, 'base64url').toString('utf8') === passkey.userId;
}

/** What a person is told, by refusal code. */
function messageFor(code: string): string {
  switch (code) {
    case 'ERR_PASSKEY_CHALLENGE':
      return 'This passkey request expired or was already used. Try again.';
    case 'ERR_PASSKEY_UNKNOWN':
      return `This passkey is not registered with Latchkey (it may have been deleted). ${REGISTER_AGAIN}`;
    case 'ERR_PASSKEY_EXPIRED':
      return `This passkey has expired: passkeys must be registered again every year. ${REGISTER_AGAIN}`;
    case 'ERR_PASSKEY_REVOKED':
      return `This passkey was revoked by your administrator. ${REGISTER_AGAIN}`;
    case 'ERR_PASSKEY_DEVICE_REVOKED':
      return `The device this passkey was registered on was removed from Latchkey. ${REGISTER_AGAIN}`;
    case 'ERR_PASSKEY_USER_VERIFICATION':
      return 'Your authenticator did not verify you (fingerprint, face or PIN). Use an authenticator that can, and try again.';
    case 'ERR_PASSKEY_COUNTER':
      return 'This passkey looks copied (its use counter went backwards), so it was refused. Contact your administrator.';
    case 'ERR_PASSKEY_NOT_DEVICE_BOUND':
      return 'This sign-in needs a passkey bound to a device enrolled with Latchkey; this one is synced or was not registered on such a device.';
    case 'ERR_PASSKEY_OTHER_USER':
      return 'That passkey belongs to another account. Use your own passkey.';
    case 'ERR_USER_DISABLED':
      return 'This account is disabled. Contact your administrator.';
    case 'ERR_PASSKEY_ORIGIN':
    case 'ERR_PASSKEY_RP_ID':
      return 'That passkey was made for another site. Use your passkey for this one.';
    default:
      return 'The passkey could not be verified. Try again, or sign in another way.';
  }
}
