import { describe, expect, it } from '@jest/globals';
import { decide } from '../../../src/policies/account-page.js';
import { CONSOLE_CLIENT_ID, CONSOLE_RULE_NAME } from '../../../src/policies/console.js';
import { renderDecisionText } from '../../../src/policies/explain.js';
import { facts, NOW, policySet } from './helpers.js';

const console_ = { id: CONSOLE_CLIENT_ID, type: 'first_party' as const };
const admins = { adminGroup: 'latchkey-admins' };
const admin = { id: 'u-root', username: 'root', groups: ['latchkey-admins'] };
const device = { id: 'd-1', trust: 'trusted' as const };
const allowAll = policySet('default: allow\npolicies: []\n');

describe('the admin console rule', () => {
  it('requires a device proof of an admin-group member, on top of the policies', () => {
    const decision = decide(allowAll, facts({ client: console_, user: admin }), NOW, admins);
    expect(decision.outcome).toBe('allow');
    expect(decision.basis).toBe('console_rule');
    expect(decision.requirement).toEqual([['device_certificate', 'device_bound_passkey']]);
    expect(decision.unmet).toEqual([['device_certificate', 'device_bound_passkey']]);
    // No device proven or checked yet: the device check runs first.
    expect(decision.deviceDependent).toBe(true);
  });

  it('is met once the device certificate is proven', () => {
    const decision = decide(
      allowAll,
      facts({ client: console_, user: admin, device, methods: { device_certificate: NOW, password: NOW } }),
      NOW,
      admins,
    );
    expect(decision.outcome).toBe('allow');
    expect(decision.unmet).toEqual([]);
    expect(decision.deviceDependent).toBe(false);
  });

  it('denies a user outside the admin group, even from a trusted device', () => {
    const decision = decide(
      allowAll,
      facts({ client: console_, device, methods: { device_certificate: NOW } }),
      NOW,
      admins,
    );
    expect(decision.outcome).toBe('deny');
    expect(decision.deniedBy).toEqual([CONSOLE_RULE_NAME]);
    expect(decision.denialMessage).toBe('The admin console is only for Latchkey administrators.');
    expect(decision.reason).toContain('alice is not in group latchkey-admins');
  });

  it('denies everyone when no admin group reaches it', () => {
    expect(decide(allowAll, facts({ client: console_, user: admin }), NOW).outcome).toBe('deny');
  });

  it('waits for the user (after the device check) while nobody is identified', () => {
    const decision = decide(allowAll, facts({ client: console_, user: undefined }), NOW, admins);
    expect(decision.outcome).toBe('pending_user');
    expect(decision.pendingPolicies).toContain(CONSOLE_RULE_NAME);
    expect(decision.deviceDependent).toBe(true);
  });

  it('cannot be loosened by a policy that allows everything with nothing required', () => {
    const open = policySet(`
default: allow
policies:
  - { name: console-open, state: enabled, targets: { clients: [latchkey-console] }, outcome: allow }
`);
    const decision = decide(open, facts({ client: console_, user: admin, deviceChecked: true }), NOW, admins);
    expect(decision.unmet).toEqual([['device_certificate', 'device_bound_passkey']]);
  });

  it('lets a policy deny the console further', () => {
    const blocked = policySet(`
default: allow
policies:
  - { name: office-only, state: enabled, conditions: { not_ip: [10.0.0.0/8] }, outcome: deny }
`);
    const decision = decide(blocked, facts({ client: console_, user: admin, device }), NOW, admins);
    expect(decision.outcome).toBe('deny');
    expect(decision.deniedBy).toEqual(['office-only']);
  });

  it('shows its verdict in the what-if table next to every policy', () => {
    const decision = decide(allowAll, facts({ client: console_, user: admin, device }), NOW, admins);
    const text = renderDecisionText(decision);
    expect(text).toContain(CONSOLE_RULE_NAME);
    expect(text).toContain('root is in group latchkey-admins');
  });

  it('leaves other clients alone', () => {
    const decision = decide(allowAll, facts(), NOW, admins);
    expect(decision.basis).not.toBe('console_rule');
    expect(decision.verdicts.map((v) => v.policy)).not.toContain(CONSOLE_RULE_NAME);
  });
});
