import { describe, expect, it } from '@jest/globals';
import {
  combineRequirements,
  formatRequirement,
  isMfaMet,
  normaliseRequirement,
  resolveHighestMfa,
  resolveRequirement,
  unmetRequirements,
} from '../../../src/policies/requirements.js';
import type { MethodName } from '../../../src/policies/types.js';
import { NOW } from './helpers.js';

const set = (...methods: MethodName[]) => new Set(methods);

describe('normaliseRequirement', () => {
  it('turns a single name into one group', () => {
    expect(normaliseRequirement('mfa')).toEqual([['mfa']]);
  });

  it('distributes any_of over all_of', () => {
    expect(normaliseRequirement({ any_of: [{ all_of: ['password', 'totp'] }, 'passkey'] })).toEqual([
      ['password', 'passkey'],
      ['totp', 'passkey'],
    ]);
  });

  it('drops duplicates and groups implied by smaller ones', () => {
    expect(normaliseRequirement({ all_of: ['password', { any_of: ['password', 'passkey'] }, 'password'] })).toEqual([
      ['password'],
    ]);
  });

  it('keeps a wide nested expression small by absorbing implied groups', () => {
    const names = ['password', 'totp', 'passkey', 'device_certificate', 'mfa'] as const;
    const expression = {
      any_of: names.map((first) => ({
        all_of: names.filter((name) => name !== first).map((name) => ({ any_of: [name, first] })),
      })),
    };
    const result = normaliseRequirement(expression);
    expect(result).not.toBeNull();
    expect(result!.length).toBeLessThanOrEqual(20);
  });
});

describe('combineRequirements', () => {
  it('adds requirements up', () => {
    expect(combineRequirements([[['password']], [['passkey', 'device_certificate']], [['password']]])).toEqual([
      ['password'],
      ['passkey', 'device_certificate'],
    ]);
  });

  it('requires nothing when nothing is combined', () => {
    expect(combineRequirements([])).toEqual([]);
  });
});

describe('mfa', () => {
  it('is met by a user-verified passkey alone', () => {
    expect(isMfaMet(set('passkey'))).toBe(true);
  });

  it('is met by a password plus TOTP or a device certificate', () => {
    expect(isMfaMet(set('password', 'totp'))).toBe(true);
    expect(isMfaMet(set('password', 'device_certificate'))).toBe(true);
  });

  it('is not met by one factor kind only', () => {
    expect(isMfaMet(set('password'))).toBe(false);
    expect(isMfaMet(set('totp', 'device_certificate'))).toBe(false);
  });
});

describe('highest_mfa', () => {
  it('prefers a passkey over TOTP', () => {
    expect(resolveHighestMfa(['password', 'totp', 'passkey'])).toEqual([['passkey']]);
  });

  it('uses password plus TOTP when there is no passkey', () => {
    expect(resolveHighestMfa(['password', 'totp'])).toEqual([['password'], ['totp']]);
  });

  it('falls back to mfa when nothing stronger is enrolled or enrolment is unknown', () => {
    expect(resolveHighestMfa(['password'])).toEqual([['mfa']]);
    expect(resolveHighestMfa(undefined)).toEqual([['mfa']]);
  });

  it('is resolved inside an any-of group', () => {
    expect(resolveRequirement([['device_certificate', 'highest_mfa'], ['password']], ['totp'])).toEqual([
      ['password'],
      ['totp', 'device_certificate'],
    ]);
  });
});

describe('unmetRequirements', () => {
  const decision = {
    requirement: [['mfa'], ['device_certificate', 'passkey']] as const,
    maxAgeSeconds: { password: 3600 },
  };

  it('lists what the session has not done', () => {
    expect(unmetRequirements(decision, { password: NOW }, NOW)).toEqual([['mfa'], ['device_certificate', 'passkey']]);
    expect(unmetRequirements(decision, { password: NOW, device_certificate: NOW }, NOW)).toEqual([]);
  });

  it('counts a method satisfied exactly at its max age', () => {
    expect(unmetRequirements(decision, { password: NOW - 3600, device_certificate: NOW - 999_999 }, NOW)).toEqual([]);
  });

  it('drops a method one second past its max age', () => {
    expect(unmetRequirements(decision, { password: NOW - 3601, device_certificate: NOW }, NOW)).toEqual([['mfa']]);
  });

  it('resolves highest_mfa with the enrolled methods given', () => {
    const highest = { requirement: [['highest_mfa']] as const, maxAgeSeconds: {} };
    expect(unmetRequirements(highest, { password: NOW, totp: NOW }, NOW, ['password', 'totp', 'passkey'])).toEqual([
      ['passkey'],
    ]);
    expect(unmetRequirements(highest, { password: NOW, totp: NOW }, NOW, ['password', 'totp'])).toEqual([]);
  });
});

describe('formatRequirement', () => {
  it('reads as AND of OR groups', () => {
    expect(formatRequirement([['mfa'], ['passkey', 'device_certificate']])).toBe(
      'mfa AND (passkey OR device_certificate)',
    );
    expect(formatRequirement([])).toBe('nothing');
  });
});
