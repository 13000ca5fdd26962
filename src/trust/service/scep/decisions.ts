// The decisions of the SCEP service as pure functions of explicit facts: which route a verified request
// takes (enrollment by challenge, or renewal by the current certificate), whether its signingTime is
// acceptable, and which user a PKCSReq enrolls for. The service gathers the facts and acts on the answer.
import type { ScepRefusal } from '../../scep/errors.js';
import { MESSAGE_TYPE } from '../../scep/protocol.js';
import { REFUSALS } from './refusals.js';

export type ScepRoute = 'enroll' | 'renew';

/**
 * The route of a request: a RenewalReq renews; so does a PKCSReq signed by a certificate our intermediate
 * issued (certmonger and others renew that way, RFC 8894 §2.3 allows it); any other PKCSReq enrolls with a
 * challenge. Other message types are refused.
 */
export function routeOf(messageType: string, signedByOurIntermediate: boolean): ScepRoute | ScepRefusal {
  if (messageType === MESSAGE_TYPE.RenewalReq) return 'renew';
  if (messageType === MESSAGE_TYPE.PKCSReq) return signedByOurIntermediate ? 'renew' : 'enroll';
  return REFUSALS.messageType;
}

/** Null when `signingTime` (if sent) is within `maxSkewMs` of `now`. */
export function signingTimeRefusal(signingTime: Date | undefined, now: Date, maxSkewMs: number): ScepRefusal | null {
  if (!signingTime) return null;
  const skew = Math.abs(signingTime.getTime() - now.getTime());
  return skew > maxSkewMs ? REFUSALS.signingTime : null;
}

/** A user as the decision needs it. */
export interface RequesterUser {
  id: string;
  disabled: boolean;
}

export interface ChallengeFacts {
  profile: string;
  now: number;
  /** The challengePassword of the request. */
  challenge: string | undefined;
  /** The one-time challenge it names, if any (used or not), and that challenge's user. */
  oneTime:
    | { id: string; profile: string; expiresAt: number; usedAt: number | null; user: RequesterUser | undefined }
    | undefined;
  /** Whether it equals the profile's static challenge. */
  matchesStatic: boolean;
  /** Each email/UPN the request names, with the user it belongs to (undefined: nobody). */
  named: ReadonlyArray<{ name: string; user: RequesterUser | undefined }>;
}

/** Whom a PKCSReq enrolls for, and the one-time challenge it consumes (null for the static one). */
export interface Requester {
  userId: string;
  oneTimeChallengeId: string | null;
}

/**
 * The requester of a PKCSReq. A one-time challenge names its user (a request that names another known
 * user is refused); the static challenge needs the request's emails/UPNs to name exactly one known user.
 * Disabled users are refused either way.
 */
export function decideRequester(facts: ChallengeFacts): Requester | ScepRefusal {
  if (!facts.challenge) return REFUSALS.challengeMissing;
  const known = facts.named.filter((entry) => entry.user !== undefined).map((entry) => entry.user!);
  const { oneTime } = facts;
  if (oneTime) {
    if (oneTime.profile !== facts.profile) return REFUSALS.challengeProfile;
    if (oneTime.usedAt !== null) return REFUSALS.challengeUsed;
    if (oneTime.expiresAt <= facts.now) return REFUSALS.challengeExpired;
    if (!oneTime.user || oneTime.user.disabled) return REFUSALS.userDisabled;
    if (known.some((user) => user.id !== oneTime.user!.id)) return REFUSALS.identityMismatch;
    return { userId: oneTime.user.id, oneTimeChallengeId: oneTime.id };
  }
  if (!facts.matchesStatic) return REFUSALS.challengeUnknown;
  const users = new Map(known.map((user) => [user.id, user]));
  if (users.size === 0) return REFUSALS.identityUnknown;
  if (users.size > 1) return REFUSALS.identityAmbiguous;
  const [user] = users.values();
  if (user!.disabled) return REFUSALS.userDisabled;
  return { userId: user!.id, oneTimeChallengeId: null };
}

/** True when `value` is a refusal rather than an answer. */
export function isRefusal<T extends object>(value: T | ScepRefusal): value is ScepRefusal {
  return 'failInfo' in value && 'code' in value;
}
