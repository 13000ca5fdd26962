import { describe, expect, it } from '@jest/globals';
import { ACCOUNT_CLIENT_ID, applyAccountPageRule, decide } from '../../../src/policies/account-page.js';
import { evaluatePolicies } from '../../../src/policies/evaluate.js';
import { facts, NOW, policySet } from './helpers.js';

const account = { id: ACCOUNT_CLIENT_ID, type: 'first_party' as const };

const set = policySet(`
default: allow
policies:
  - { name: unmanaged-deny, state: enabled, conditions: { device: [unmanaged] }, outcome: deny }
  - { name: cert-everywhere, state: enabled, outcome: allow, require: { all_of: [device_certificate, password] }, sign_in_frequency: 8h }
`);

describe('the account-page rule', () => {
  it('turns a deny for an unmanaged device into allow with the highest MFA the user has', () => {
    const decision = decide(set, facts({ client: account, enrolledMethods: ['password', 'totp'] }), NOW);
    expect(decision.outcome).toBe('allow');
    expect(decision.basis).toBe('account_page_rule');
    expect(decision.requirement).toEqual([['password'], ['totp']]);
    expect(decision.reason).toContain('policy unmanaged-deny would deny this unmanaged device');
    expect(decision.reason).toContain('password AND totp');
    expect(decision.maxAgeSeconds).toMatchObject({ password: 8 * 3600 });
  });

  it('asks for a passkey when the user has one', () => {
    const decision = decide(set, facts({ client: account, enrolledMethods: ['password', 'passkey'] }), NOW);
    expect(decision.requirement).toEqual([['passkey'], ['password']]);
    expect(decision.unmet).toEqual([['passkey'], ['password']]);
  });

  it('keeps highest_mfa unresolved while the user is not known', () => {
    const decision = decide(set, facts({ client: account, user: undefined }), NOW);
    expect(decision.outcome).toBe('allow');
    expect(decision.requirement).toEqual([['highest_mfa'], ['password']]);
  });

  it('leaves other clients denied', () => {
    expect(decide(set, facts(), NOW).outcome).toBe('deny');
  });

  it('leaves a deny that does not rest on the device alone', () => {
    const blocked = policySet(`
default: allow
policies:
  - { name: unmanaged-deny, state: enabled, conditions: { device: [unmanaged] }, outcome: deny }
  - { name: country-deny, state: enabled, conditions: { countries: [US] }, outcome: deny }
`);
    const decision = decide(blocked, facts({ client: account }), NOW);
    expect(decision.outcome).toBe('deny');
    expect(decision.deniedForUnmanagedDevice).toBe(false);
  });

  it('leaves a default deny on the account page', () => {
    const denyAll = policySet('default: deny\npolicies: []\n');
    expect(decide(denyAll, facts({ client: account }), NOW).outcome).toBe('deny');
  });

  it('waits for the user when user-targeted policies are pending', () => {
    const pending = policySet(`
default: allow
policies:
  - { name: unmanaged-deny, state: enabled, conditions: { device: [unmanaged] }, outcome: deny }
  - { name: contractors, state: enabled, targets: { groups: [contractors] }, outcome: deny }
`);
    const decision = decide(pending, facts({ client: account, user: undefined }), NOW);
    expect(decision.outcome).toBe('pending_user');
  });

  it('returns the same decision object when it does not apply', () => {
    const decision = evaluatePolicies(set, facts(), NOW);
    expect(applyAccountPageRule(decision, facts())).toBe(decision);
  });
});
