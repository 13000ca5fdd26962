// What a passkey proves, as a specification: synced or device-bound, the amr values, the counter rule,
// usability, how fresh a session must be to register one, and how the policy vocabulary and the flow
// treat device-bound passkeys.
import { describe, expect, it } from '@jest/globals';
import { freshness } from '../../../src/account-page/passkeys.js';
import { firstFactors, nextStep, type MethodDescriptor } from '../../../src/interactions/flow.js';
import type { Proof } from '../../../src/interactions/proofs.js';
import { acrRequirement } from '../../../src/oidc/acr.js';
import { amrOf, counterRegressed, methodOf, passkeyKind, usability } from '../../../src/passkeys/credential.js';
import { decide, isMfaMet, isRequirementNameMet, loadPolicySet, type MethodName } from '../../../src/policies/index.js';

const onDevice = { backupEligible: false, deviceId: 'd1', transports: ['internal'], attachment: 'platform' as const };

describe('what a passkey proves', () => {
  it('is synced when backup eligible, wherever it was registered', () => {
    expect(passkeyKind({ ...onDevice, backupEligible: true })).toBe('synced');
    expect(methodOf({ ...onDevice, backupEligible: true })).toBe('passkey');
  });

  it('is device-bound only when not synced, a platform authenticator, and registered on a known device', () => {
    expect(passkeyKind(onDevice)).toBe('device-bound');
    expect(methodOf(onDevice)).toBe('device_bound_passkey');
    expect(passkeyKind({ ...onDevice, deviceId: null })).toBe('single-device');
    expect(passkeyKind({ ...onDevice, transports: ['usb'], attachment: null })).toBe('single-device');
    expect(passkeyKind({ ...onDevice, transports: ['internal', 'hybrid'] })).toBe('single-device');
    expect(passkeyKind({ ...onDevice, attachment: 'cross-platform' })).toBe('single-device');
  });

  it('says hwk only when attestation was verified, swk otherwise, always user and mfa', () => {
    expect(amrOf({ attestationVerified: true })).toEqual(['hwk', 'user', 'mfa']);
    expect(amrOf({ attestationVerified: false })).toEqual(['swk', 'user', 'mfa']);
  });

  it('treats a counter that did not increase as a regression, except authenticators that never count', () => {
    expect(counterRegressed(0, 0)).toBe(false);
    expect(counterRegressed(5, 6)).toBe(false);
    expect(counterRegressed(5, 5)).toBe(true);
    expect(counterRegressed(5, 0)).toBe(true);
    expect(counterRegressed(0, 3)).toBe(false);
  });

  it('refuses revoked and expired passkeys', () => {
    expect(usability({ revokedAt: null, expiresAt: 2000 }, 1000)).toEqual({ ok: true });
    expect(usability({ revokedAt: null, expiresAt: 1000 }, 1000)).toMatchObject({ code: 'ERR_PASSKEY_EXPIRED' });
    expect(usability({ revokedAt: 5, expiresAt: 2000 }, 1000)).toMatchObject({ code: 'ERR_PASSKEY_REVOKED' });
  });
});

describe('registration freshness', () => {
  const at = (method: MethodName, when: number, device = false): Proof => ({
    method,
    at: when,
    amr: [],
    userId: 'u1',
    ...(device ? { device: { id: 'd1', userId: 'u1', trust: 'trusted' as const } } : {}),
  });

  it('needs a password and a second factor, both within the window, and says how long is left', () => {
    expect(freshness([at('password', 1000), at('totp', 1010)], 1100, 300)).toEqual({ fresh: true, remaining: 200 });
    expect(freshness([at('password', 1000), at('device_certificate', 990, true)], 1100, 300)).toEqual({
      fresh: true,
      remaining: 190,
      deviceId: 'd1',
    });
  });

  it('is not fresh with a passkey alone, a password alone, or an old password', () => {
    expect(freshness([at('passkey', 1000)], 1001, 300).fresh).toBe(false);
    expect(freshness([at('password', 1000)], 1001, 300).fresh).toBe(false);
    expect(freshness([at('password', 500), at('totp', 1000)], 1001, 300).fresh).toBe(false);
  });
});

describe('device_bound_passkey in the policy vocabulary', () => {
  it('meets passkey and mfa, while a synced passkey does not meet device_bound_passkey', () => {
    const bound = new Set<MethodName>(['device_bound_passkey']);
    expect(isRequirementNameMet('passkey', bound)).toBe(true);
    expect(isMfaMet(bound)).toBe(true);
    expect(isRequirementNameMet('device_bound_passkey', new Set<MethodName>(['passkey']))).toBe(false);
  });

  it('reaches acr device by a device certificate or a device-bound passkey', () => {
    expect(acrRequirement(['urn:latchkey:acr:device'])).toEqual([['device_certificate', 'device_bound_passkey']]);
  });

  it('offers factor clients only device-bound proofs, whatever sign_in_with adds', () => {
    expect(firstFactors('factor', ['password', 'passkey'])).toEqual(['device_certificate', 'device_bound_passkey']);
    expect(firstFactors('first_party', ['device_bound_passkey'])).toEqual(['password', 'passkey']);
  });
});

describe('the flow with passkeys', () => {
  const registry: MethodDescriptor[] = (
    ['password', 'totp', 'device_certificate', 'passkey', 'device_bound_passkey'] as const
  ).map((name) => ({ name, identifies: name !== 'totp', text: { requirement: name, hint: '' } }));
  const NOW = 1_800_000_000;
  const set = (yaml: string) => loadPolicySet(yaml, 'test.yaml');

  it('offers the passkey beside the password to someone not yet identified', () => {
    const policies = set('default: allow\npolicies: []\n');
    const decision = decide(
      policies,
      { client: { id: 'a', type: 'first_party' }, ip: '192.0.2.1', country: null, methods: {} },
      NOW,
    );
    expect(
      nextStep({ decision, clientKind: 'first_party', proofs: [], settled: {}, acrValues: [], registry, now: NOW }),
    ).toEqual({
      kind: 'method',
      method: 'password',
      because: { kind: 'identify' },
      alternatives: ['passkey'],
    });
  });

  it('does not make a deny for want of a device final while a device-bound passkey could prove one', () => {
    const policies = set(
      'default: allow\npolicies:\n  - { name: trusted-only, state: enabled, conditions: { device: [unmanaged] }, outcome: deny }\n',
    );
    const facts = {
      client: { id: 'a', type: 'first_party' as const },
      ip: '192.0.2.1',
      country: null,
      methods: {},
      deviceChecked: true,
    };
    const decision = decide(policies, facts, NOW);
    const input = { decision, clientKind: 'first_party' as const, proofs: [], acrValues: [], registry, now: NOW };
    const checked = { device_certificate: 'No device certificate was presented.' };
    expect(nextStep({ ...input, settled: checked })).toEqual({
      kind: 'method',
      method: 'device_bound_passkey',
      because: { kind: 'device_check' },
    });
    // Declined: the deny stands, with the device check's reason.
    const declined = nextStep({
      ...input,
      settled: { ...checked, device_bound_passkey: 'No device-bound passkey was used.' },
    });
    expect(declined).toMatchObject({ kind: 'fail', error: 'access_denied' });
    // A known user without a device-bound passkey is not asked for one.
    const user = { id: 'u1', enrolled: ['password'] as MethodName[] };
    expect(nextStep({ ...input, settled: checked, user })).toMatchObject({ kind: 'fail' });
  });
});
