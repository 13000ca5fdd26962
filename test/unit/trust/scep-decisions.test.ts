// The SCEP service's pure decisions: a request's route, the signingTime window, whom a PKCSReq enrolls for
// (one-time challenge, or static challenge + email/UPN), which failInfo every refusal code carries, and when
// the RA is replaced.
import { describe, expect, it } from '@jest/globals';
import { CsrError } from '../../../src/trust/errors.js';
import { AuthenticationError, UnavailableError } from '../../../src/errors.js';
import { ScepRefusalError } from '../../../src/trust/scep/errors.js';
import { DeviceTrustError } from '../../../src/trust/service/errors.js';
import {
  type ChallengeFacts,
  decideRequester,
  routeOf,
  signingTimeRefusal,
} from '../../../src/trust/service/scep/decisions.js';
import { raReplacementDue } from '../../../src/trust/service/scep/ra.js';
import { refusalOf } from '../../../src/trust/service/scep/refusals.js';

const NOW = 1_900_000_000_000;
const alice = { id: 'u-alice', disabled: false };
const bob = { id: 'u-bob', disabled: false };
const facts = (overrides: Partial<ChallengeFacts> = {}): ChallengeFacts => ({
  profile: 'ios',
  now: NOW,
  challenge: 'c',
  oneTime: undefined,
  matchesStatic: false,
  named: [],
  ...overrides,
});
const oneTime = (overrides: Partial<NonNullable<ChallengeFacts['oneTime']>> = {}) => ({
  id: 'ch-1',
  profile: 'ios',
  expiresAt: NOW + 1000,
  usedAt: null,
  user: alice,
  ...overrides,
});

describe('SCEP decisions', () => {
  it('routes RenewalReq to renewal, PKCSReq by who signed it, and refuses the rest', () => {
    expect(routeOf('17', false)).toBe('renew');
    expect(routeOf('19', true)).toBe('renew');
    expect(routeOf('19', false)).toBe('enroll');
    expect(routeOf('20', false)).toMatchObject({ code: 'ERR_SCEP_MESSAGE_TYPE', failInfo: 'badRequest' });
  });

  it('accepts a missing signingTime and one within the skew, refuses one beyond it (badTime)', () => {
    const now = new Date(NOW);
    expect(signingTimeRefusal(undefined, now, 60_000)).toBeNull();
    expect(signingTimeRefusal(new Date(NOW - 59_000), now, 60_000)).toBeNull();
    expect(signingTimeRefusal(new Date(NOW + 61_000), now, 60_000)).toMatchObject({ failInfo: 'badTime' });
  });

  it('enrolls for the user of a usable one-time challenge, and for the one known user the static challenge names', () => {
    expect(decideRequester(facts({ oneTime: oneTime() }))).toEqual({ userId: 'u-alice', oneTimeChallengeId: 'ch-1' });
    expect(
      decideRequester(
        facts({
          oneTime: oneTime(),
          named: [
            { name: 'alice@example.com', user: alice },
            { name: 'x@y', user: undefined },
          ],
        }),
      ),
    ).toEqual({ userId: 'u-alice', oneTimeChallengeId: 'ch-1' });
    expect(
      decideRequester(
        facts({
          matchesStatic: true,
          named: [
            { name: 'alice@example.com', user: alice },
            { name: 'alice', user: alice },
          ],
        }),
      ),
    ).toEqual({ userId: 'u-alice', oneTimeChallengeId: null });
  });

  it.each<[string, Partial<ChallengeFacts>, string]>([
    ['no challenge', { challenge: undefined, matchesStatic: true }, 'ERR_SCEP_CHALLENGE_MISSING'],
    ['an unknown challenge', {}, 'ERR_SCEP_CHALLENGE_UNKNOWN'],
    [
      'a one-time challenge of another profile',
      { oneTime: oneTime({ profile: 'macos' }) },
      'ERR_SCEP_CHALLENGE_PROFILE',
    ],
    ['a used one-time challenge', { oneTime: oneTime({ usedAt: NOW - 1 }) }, 'ERR_SCEP_CHALLENGE_USED'],
    ['an expired one-time challenge', { oneTime: oneTime({ expiresAt: NOW }) }, 'ERR_SCEP_CHALLENGE_EXPIRED'],
    [
      'a one-time challenge of a disabled user',
      { oneTime: oneTime({ user: { id: 'u', disabled: true } }) },
      'ERR_USER_DISABLED',
    ],
    ['a one-time challenge of a deleted user', { oneTime: oneTime({ user: undefined }) }, 'ERR_USER_DISABLED'],
    [
      'a one-time challenge naming another user',
      { oneTime: oneTime(), named: [{ name: 'bob', user: bob }] },
      'ERR_SCEP_IDENTITY_MISMATCH',
    ],
    [
      'the static challenge naming nobody known',
      { matchesStatic: true, named: [{ name: 'x@y', user: undefined }] },
      'ERR_SCEP_IDENTITY_UNKNOWN',
    ],
    [
      'the static challenge naming two users',
      {
        matchesStatic: true,
        named: [
          { name: 'a', user: alice },
          { name: 'b', user: bob },
        ],
      },
      'ERR_SCEP_IDENTITY_AMBIGUOUS',
    ],
    [
      'the static challenge naming a disabled user',
      { matchesStatic: true, named: [{ name: 'a', user: { id: 'u', disabled: true } }] },
      'ERR_USER_DISABLED',
    ],
  ])('refuses %s (badRequest)', (_name, overrides, code) => {
    expect(decideRequester(facts(overrides))).toMatchObject({ code, failInfo: 'badRequest' });
  });

  it('gives every refusal its failInfo; faults of ours and unknown errors are no refusal', () => {
    expect(refusalOf(new ScepRefusalError('ERR_SCEP_RECIPIENT', 'badCertId', 'm'))).toMatchObject({
      failInfo: 'badCertId',
    });
    expect(refusalOf(new CsrError('ERR_CSR_WEAK_KEY', 'weak'))).toMatchObject({ failInfo: 'badAlg' });
    expect(refusalOf(new CsrError('ERR_CSR_SIGNATURE', 'bad'))).toMatchObject({ failInfo: 'badMessageCheck' });
    expect(refusalOf(new DeviceTrustError('ERR_CERT_REVOKED', 'revoked'))).toMatchObject({ failInfo: 'badRequest' });
    expect(refusalOf(new DeviceTrustError('ERR_DEVICE_DISTRIBUTION_OFF', 'off'))).toMatchObject({
      failInfo: 'badRequest',
    });
    expect(refusalOf(new AuthenticationError('ERR_CERT_EXPIRED', 'not accepted', { reason: 'expired at X' }))).toEqual({
      code: 'ERR_CERT_EXPIRED',
      failInfo: 'badCertId',
      message: 'not accepted: expired at X',
    });
    expect(refusalOf(new UnavailableError('ERR_DATABASE_UNAVAILABLE', 'down'))).toBeNull();
    expect(refusalOf(new Error('bug'))).toBeNull();
  });
});

describe('RA replacement', () => {
  const DAY = 86_400_000;
  const now = new Date(NOW);
  const intermediate = { notAfter: new Date(NOW + 1000 * DAY) };

  it('is due in the last week of the RA’s life, not before', () => {
    expect(raReplacementDue({ notAfter: NOW + 8 * DAY }, intermediate, now)).toBe(false);
    expect(raReplacementDue({ notAfter: NOW + 6 * DAY }, intermediate, now)).toBe(true);
    expect(raReplacementDue({ notAfter: NOW - DAY }, intermediate, now)).toBe(true);
  });

  it('is never due when the RA already ends with the intermediate (a new one could not live longer)', () => {
    const ending = { notAfter: new Date(NOW + 3 * DAY) };
    expect(raReplacementDue({ notAfter: NOW + 3 * DAY }, ending, now)).toBe(false);
  });
});
