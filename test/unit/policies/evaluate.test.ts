import { describe, expect, it } from '@jest/globals';
import { evaluatePolicies } from '../../../src/policies/evaluate.js';
import { facts, NOW, policySet } from './helpers.js';

const verdictOf = (decision: ReturnType<typeof evaluatePolicies>, name: string) =>
  decision.verdicts.find((verdict) => verdict.policy === name);

describe('evaluatePolicies: combining policies', () => {
  const set = policySet(`
default: allow
policies:
  - name: allow-with-mfa
    state: enabled
    outcome: allow
    require: mfa
  - name: deny-unmanaged
    state: enabled
    conditions: { device: [unmanaged] }
    outcome: deny
`);

  it('lets deny win over allow', () => {
    const decision = evaluatePolicies(set, facts(), NOW);
    expect(decision.outcome).toBe('deny');
    expect(decision.deniedBy).toEqual(['deny-unmanaged']);
    expect(decision.requirement).toEqual([]);
    expect(decision.reason).toBe('denied by policy deny-unmanaged');
    expect(verdictOf(decision, 'allow-with-mfa')?.verdict).toBe('allow');
  });

  it('allows with the requirement when the deny does not match', () => {
    const device = { id: 'd1', trust: 'trusted' as const };
    const decision = evaluatePolicies(set, facts({ device }), NOW);
    expect(decision.outcome).toBe('allow');
    expect(decision.basis).toBe('policy');
    expect(decision.requirement).toEqual([['mfa']]);
    expect(decision.unmet).toEqual([['mfa']]);
    expect(verdictOf(decision, 'deny-unmanaged')?.verdict).toBe('not_matched');
    expect(verdictOf(decision, 'deny-unmanaged')?.reasons).toContain('device d1 is trusted, not unmanaged');
  });

  it('adds up the requirements of every matching allow policy', () => {
    const union = policySet(`
default: deny
policies:
  - { name: a, state: enabled, outcome: allow, require: password }
  - { name: b, state: enabled, outcome: allow, require: { any_of: [passkey, device_certificate] } }
  - { name: c, state: enabled, outcome: allow, require: password }
`);
    const decision = evaluatePolicies(union, facts({ methods: { password: NOW - 10 } }), NOW);
    expect(decision.outcome).toBe('allow');
    expect(decision.appliedPolicies).toEqual(['a', 'b', 'c']);
    expect(decision.requirement).toEqual([['password'], ['passkey', 'device_certificate']]);
    expect(decision.unmet).toEqual([['passkey', 'device_certificate']]);
  });

  it('marks a decision with nothing unmet once the methods are done', () => {
    const decision = evaluatePolicies(
      set,
      facts({ device: { id: 'd1', trust: 'managed' }, methods: { passkey: NOW } }),
      NOW,
    );
    expect(decision.outcome).toBe('allow');
    expect(decision.unmet).toEqual([]);
  });
});

describe('evaluatePolicies: defaults', () => {
  const set = policySet(`
default: { first_party: allow, third_party: allow, factor: deny }
policies:
  - name: only-for-wiki
    state: enabled
    targets: { clients: [wiki] }
    outcome: deny
`);

  it('applies the default for the client type when no enabled policy matches', () => {
    const portal = evaluatePolicies(set, facts(), NOW);
    expect(portal).toMatchObject({ outcome: 'allow', basis: 'default', requirement: [], unmet: [] });
    expect(portal.reason).toBe('no enabled policy matched; the default for first_party clients is allow');
    const okta = evaluatePolicies(set, facts({ client: { id: 'okta', type: 'factor' } }), NOW);
    expect(okta).toMatchObject({ outcome: 'deny', basis: 'default' });
  });

  it('denies by default for a client type the file leaves out', () => {
    const partial = policySet('default: { first_party: allow }\npolicies: []\n');
    const decision = evaluatePolicies(partial, facts({ client: { id: 'x', type: 'third_party' } }), NOW);
    expect(decision.outcome).toBe('deny');
    expect(decision.reason).toContain('not set in the policy file');
  });

  it('accepts one default for every client type', () => {
    const deny = policySet('default: deny\npolicies: []\n');
    expect(evaluatePolicies(deny, facts(), NOW).outcome).toBe('deny');
  });
});

describe('evaluatePolicies: targets and exclusions', () => {
  const set = policySet(`
default: allow
policies:
  - name: staff-deny
    state: enabled
    targets:
      groups: [staff]
      exclude_users: [alice]
      exclude_groups: [admins]
      exclude_clients: [account]
    outcome: deny
`);

  it('excludes a user by username', () => {
    const decision = evaluatePolicies(set, facts(), NOW);
    expect(decision.outcome).toBe('allow');
    expect(verdictOf(decision, 'staff-deny')?.reasons).toContain('user alice is excluded');
  });

  it('excludes a user by user id', () => {
    const byId = policySet(`
default: allow
policies:
  - { name: p, state: enabled, targets: { exclude_users: [u-alice] }, outcome: deny }
`);
    expect(evaluatePolicies(byId, facts(), NOW).outcome).toBe('allow');
  });

  it('excludes a user through a group', () => {
    const bob = { id: 'u-bob', username: 'bob', groups: ['staff', 'admins'] };
    const decision = evaluatePolicies(set, facts({ user: bob }), NOW);
    expect(decision.outcome).toBe('allow');
    expect(verdictOf(decision, 'staff-deny')?.reasons).toContain('user bob is excluded by group admins');
  });

  it('excludes a client', () => {
    const carol = { id: 'u-carol', username: 'carol', groups: ['staff'] };
    expect(evaluatePolicies(set, facts({ user: carol }), NOW).outcome).toBe('deny');
    const decision = evaluatePolicies(set, facts({ user: carol, client: { id: 'account', type: 'first_party' } }), NOW);
    expect(decision.outcome).toBe('allow');
    expect(verdictOf(decision, 'staff-deny')?.reasons).toEqual(['client account is excluded']);
  });

  it('does not target a user outside the listed groups', () => {
    const dave = { id: 'u-dave', username: 'dave', groups: ['contractors'] };
    const decision = evaluatePolicies(set, facts({ user: dave }), NOW);
    expect(verdictOf(decision, 'staff-deny')?.verdict).toBe('not_matched');
  });

  it('targets by client type and excludes by client type', () => {
    const types = policySet(`
default: allow
policies:
  - { name: third, state: enabled, targets: { client_types: [third_party] }, outcome: deny }
  - { name: not-factor, state: enabled, targets: { exclude_client_types: [factor] }, outcome: allow, require: password }
`);
    expect(evaluatePolicies(types, facts({ client: { id: 'x', type: 'third_party' } }), NOW).outcome).toBe('deny');
    const factor = evaluatePolicies(types, facts({ client: { id: 'okta', type: 'factor' } }), NOW);
    expect(factor.basis).toBe('default');
    expect(verdictOf(factor, 'not-factor')?.reasons).toEqual(['client type factor is excluded']);
  });

  it('matches a user in the users list or in one of the groups', () => {
    const either = policySet(`
default: allow
policies:
  - { name: p, state: enabled, targets: { users: [erin], groups: [ops] }, outcome: deny }
`);
    const erin = { id: 'u-erin', username: 'erin', groups: [] };
    const oscar = { id: 'u-oscar', username: 'oscar', groups: ['ops'] };
    expect(evaluatePolicies(either, facts({ user: erin }), NOW).outcome).toBe('deny');
    expect(evaluatePolicies(either, facts({ user: oscar }), NOW).outcome).toBe('deny');
    expect(evaluatePolicies(either, facts(), NOW).outcome).toBe('allow');
  });
});

describe('evaluatePolicies: report-only and disabled', () => {
  const set = policySet(`
default: allow
policies:
  - { name: trial-deny, state: report-only, outcome: deny }
  - { name: trial-passkey, state: report-only, outcome: allow, require: passkey }
  - { name: retired, state: disabled, outcome: deny }
`);

  it('records report-only verdicts without enforcing them', () => {
    const decision = evaluatePolicies(set, facts({ methods: { password: NOW } }), NOW);
    expect(decision.outcome).toBe('allow');
    expect(decision.basis).toBe('default');
    expect(decision.appliedPolicies).toEqual([]);
    expect(decision.requirement).toEqual([]);
    expect(decision.reportOnly).toEqual({
      wouldDeny: ['trial-deny'],
      wouldRequire: [['passkey']],
      wouldBeUnmet: [['passkey']],
    });
    expect(verdictOf(decision, 'trial-deny')).toMatchObject({ verdict: 'deny', state: 'report-only', enforced: false });
  });

  it('lists disabled policies as skipped without evaluating them', () => {
    const decision = evaluatePolicies(set, facts(), NOW);
    expect(verdictOf(decision, 'retired')).toMatchObject({ verdict: 'skipped', reasons: ['the policy is disabled'] });
  });
});

describe('evaluatePolicies: before the user is known', () => {
  const set = policySet(`
default: allow
policies:
  - { name: everyone-device-cert, state: enabled, outcome: allow, require: device_certificate }
  - { name: contractors-deny, state: enabled, targets: { groups: [contractors] }, outcome: deny }
  - { name: office-only, state: enabled, targets: { users: [alice] }, conditions: { ip: [10.0.0.0/8] }, outcome: deny }
`);
  const anonymous = facts({ user: undefined });

  it('answers pending_user while a user-targeted policy could still apply', () => {
    const decision = evaluatePolicies(set, anonymous, NOW);
    expect(decision.outcome).toBe('pending_user');
    expect(decision.pendingPolicies).toEqual(['contractors-deny']);
    expect(decision.requirement).toEqual([['device_certificate']]);
    expect(verdictOf(decision, 'contractors-deny')?.verdict).toBe('pending_user');
  });

  it('decides a user-targeted policy whose conditions already fail without waiting', () => {
    const decision = evaluatePolicies(set, anonymous, NOW);
    expect(verdictOf(decision, 'office-only')?.verdict).toBe('not_matched');
  });

  it('decides once the user is known', () => {
    const contractor = { id: 'u-c', username: 'carl', groups: ['contractors'] };
    expect(evaluatePolicies(set, facts({ user: contractor }), NOW).outcome).toBe('deny');
    expect(evaluatePolicies(set, facts(), NOW).outcome).toBe('allow');
  });

  it('still denies at once when a policy for every user denies', () => {
    const deny = policySet(`
default: allow
policies:
  - { name: block-country, state: enabled, conditions: { countries: [US] }, outcome: deny }
  - { name: staff, state: enabled, targets: { groups: [staff] }, outcome: allow }
`);
    expect(evaluatePolicies(deny, anonymous, NOW).outcome).toBe('deny');
  });
});

describe('evaluatePolicies: conditions', () => {
  const set = policySet(`
default: allow
named_locations:
  office: [203.0.113.0/24, 2001:db8:100::/48]
policies:
  - { name: office-v4-v6, state: report-only, conditions: { ip: [office] }, outcome: deny }
  - { name: outside, state: report-only, conditions: { not_ip: [office, 10.0.0.0/8] }, outcome: deny }
  - { name: eu, state: report-only, conditions: { countries: [DE, FR] }, outcome: deny }
  - { name: unknown-country, state: report-only, conditions: { countries: [unknown] }, outcome: deny }
  - { name: not-eu, state: report-only, conditions: { not_countries: [DE, FR] }, outcome: deny }
  - { name: modern-mac, state: report-only, conditions: { platforms: { macos: { min_os_version: "14.10" } } }, outcome: deny }
  - { name: not-modern, state: report-only, conditions: { not_platforms: { macos: { min_os_version: "14.10" }, windows: {} } }, outcome: deny }
  - { name: managed-or-trusted, state: report-only, conditions: { device: [managed, trusted] }, outcome: deny }
`);
  const wouldDeny = (f: Parameters<typeof evaluatePolicies>[1]) => evaluatePolicies(set, f, NOW).reportOnly.wouldDeny;

  it('matches an IPv4 address in a named location and says so', () => {
    const decision = evaluatePolicies(set, facts({ ip: '203.0.113.9' }), NOW);
    expect(verdictOf(decision, 'office-v4-v6')?.reasons).toContain('ip 203.0.113.9 is in named location office');
    expect(verdictOf(decision, 'outside')?.verdict).toBe('not_matched');
  });

  it('matches an IPv6 address in a named location', () => {
    expect(wouldDeny(facts({ ip: '2001:db8:100:ffff::1' }))).toContain('office-v4-v6');
    expect(wouldDeny(facts({ ip: '2001:db8:101::1' }))).not.toContain('office-v4-v6');
  });

  it('treats an IPv4-mapped IPv6 address as IPv4', () => {
    expect(wouldDeny(facts({ ip: '::ffff:203.0.113.9' }))).toContain('office-v4-v6');
    expect(wouldDeny(facts({ ip: '::ffff:10.1.2.3' }))).not.toContain('outside');
  });

  it('matches not_ip for an address outside every listed range', () => {
    const decision = evaluatePolicies(set, facts({ ip: '8.8.8.8' }), NOW);
    expect(verdictOf(decision, 'outside')?.reasons).toContain(
      'not_ip: ip 8.8.8.8 is not in named location office, 10.0.0.0/8',
    );
    expect(decision.reportOnly.wouldDeny).toContain('outside');
  });

  it('treats an invalid address as in no range', () => {
    const denied = wouldDeny(facts({ ip: 'not-an-ip' }));
    expect(denied).toContain('outside');
    expect(denied).not.toContain('office-v4-v6');
  });

  it('matches countries, and unknown only when listed', () => {
    expect(wouldDeny(facts({ country: 'DE' }))).toEqual(expect.arrayContaining(['eu']));
    expect(wouldDeny(facts({ country: 'de' }))).toContain('eu');
    expect(wouldDeny(facts({ country: 'US' }))).toEqual(expect.arrayContaining(['not-eu']));
    const unknown = wouldDeny(facts({ country: null }));
    expect(unknown).toContain('unknown-country');
    expect(unknown).toContain('not-eu');
    expect(unknown).not.toContain('eu');
  });

  it('compares OS versions numerically against the minimum', () => {
    const mac = (osVersion: string | undefined) => facts({ platform: 'macos', osVersion });
    expect(wouldDeny(mac('14.10'))).toContain('modern-mac');
    expect(wouldDeny(mac('15'))).toContain('modern-mac');
    expect(wouldDeny(mac('14.9'))).not.toContain('modern-mac');
    expect(wouldDeny(mac('14.9'))).toContain('not-modern');
    expect(wouldDeny(mac('14.10.1'))).not.toContain('not-modern');
  });

  it('never lets a missing OS version meet a minimum', () => {
    const decision = evaluatePolicies(set, facts({ platform: 'macos' }), NOW);
    expect(decision.reportOnly.wouldDeny).not.toContain('modern-mac');
    expect(decision.reportOnly.wouldDeny).toContain('not-modern');
    expect(verdictOf(decision, 'modern-mac')?.reasons.at(-1)).toBe(
      'platform macos (version unknown) is below minimum 14.10 (from user agent)',
    );
  });

  it('accepts any version of a platform listed without a minimum', () => {
    expect(wouldDeny(facts({ platform: 'windows' }))).not.toContain('not-modern');
    expect(wouldDeny(facts({ platform: 'linux', osVersion: '6.1' }))).toContain('not-modern');
  });

  it('prefers the proven device posture over the user agent', () => {
    const device = { id: 'd1', trust: 'trusted' as const, platform: 'macos' as const, osVersion: '14.10' };
    const decision = evaluatePolicies(set, facts({ platform: 'macos', osVersion: '10.15.7', device }), NOW);
    expect(decision.reportOnly.wouldDeny).toContain('modern-mac');
    expect(verdictOf(decision, 'modern-mac')?.reasons.at(-1)).toBe(
      'platform macos 14.10 meets minimum 14.10 (from device posture)',
    );
  });

  it('parses the user agent when no platform is given', () => {
    const userAgent =
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36';
    expect(wouldDeny(facts({ userAgent }))).not.toContain('not-modern');
    expect(wouldDeny(facts({ userAgent: 'curl/8.0' }))).toContain('not-modern');
  });

  it('matches the device trust level, unmanaged when no device is proven', () => {
    expect(wouldDeny(facts())).not.toContain('managed-or-trusted');
    expect(wouldDeny(facts({ device: { id: 'd', trust: 'managed' } }))).toContain('managed-or-trusted');
    expect(wouldDeny(facts({ device: { id: 'd', trust: 'trusted' } }))).toContain('managed-or-trusted');
  });

  it('flags a decision that proving a device could change', () => {
    const deviceDeny = policySet(`
default: allow
policies:
  - { name: p, state: enabled, conditions: { device: [unmanaged] }, outcome: deny }
`);
    const before = evaluatePolicies(deviceDeny, facts(), NOW);
    expect(before).toMatchObject({ outcome: 'deny', deviceDependent: true, deniedForUnmanagedDevice: true });
    const after = evaluatePolicies(deviceDeny, facts({ device: { id: 'd', trust: 'trusted' } }), NOW);
    expect(after).toMatchObject({ outcome: 'allow', deviceDependent: false });
    const noDevice = policySet(
      'default: deny\npolicies:\n  - { name: q, state: enabled, conditions: { countries: [US] }, outcome: deny }\n',
    );
    expect(evaluatePolicies(noDevice, facts(), NOW).deviceDependent).toBe(false);
  });

  it('runs the device check only for policies that judge this sign-in’s device, and only once', () => {
    const scoped = policySet(`
default: allow
policies:
  - { name: third-party-managed, state: enabled, targets: { client_types: [third_party] }, conditions: { device: [unmanaged] }, outcome: deny }
  - { name: mac-any-version, state: enabled, conditions: { platforms: [macos] }, outcome: allow }
`);
    const firstParty = facts({ client: { id: 'portal', type: 'first_party' } });
    expect(evaluatePolicies(scoped, firstParty, NOW).deviceDependent).toBe(false);
    const thirdParty = facts({ client: { id: 'wiki', type: 'third_party' } });
    expect(evaluatePolicies(scoped, thirdParty, NOW).deviceDependent).toBe(true);
    expect(evaluatePolicies(scoped, { ...thirdParty, deviceChecked: true }, NOW).deviceDependent).toBe(false);
    const versioned = policySet(`
default: allow
policies:
  - { name: old-macos, state: enabled, conditions: { not_platforms: { macos: { min_os_version: "14.0" } } }, outcome: deny }
`);
    expect(evaluatePolicies(versioned, firstParty, NOW).deviceDependent).toBe(true);
  });

  it('tells a denied person the policy’s description, never its name', () => {
    const described = policySet(`
default: allow
policies:
  - { name: block-kp, description: "Sign-ins from this country are not allowed.", state: enabled, conditions: { countries: [KP] }, outcome: deny }
  - { name: block-all-kp, state: enabled, conditions: { countries: [KP] }, outcome: deny }
`);
    const decision = evaluatePolicies(described, facts({ country: 'KP' }), NOW);
    expect(decision.denialMessage).toBe('Sign-ins from this country are not allowed.');
    const bare = policySet('default: allow\npolicies:\n  - { name: secret-name, state: enabled, outcome: deny }\n');
    const plain = evaluatePolicies(bare, facts(), NOW);
    expect(plain.denialMessage).toBe('Your organisation does not allow this sign-in.');
    expect(plain.denialMessage).not.toContain('secret-name');
    expect(evaluatePolicies(policySet('default: allow\npolicies: []\n'), facts(), NOW).denialMessage).toBeNull();
  });

  it('collects sign_in_with from the enforced allow policies only', () => {
    const passwordless = policySet(`
default: allow
policies:
  - { name: devices-sign-in, state: enabled, conditions: { device: [trusted] }, outcome: allow, sign_in_with: [device_certificate] }
  - { name: keys, state: report-only, outcome: allow, sign_in_with: [passkey] }
`);
    expect(evaluatePolicies(passwordless, facts(), NOW).signInWith).toEqual([]);
    const trusted = facts({ device: { id: 'd', trust: 'trusted' } });
    expect(evaluatePolicies(passwordless, trusted, NOW).signInWith).toEqual(['device_certificate']);
  });

  it('requires every condition of a policy to hold', () => {
    const both = policySet(`
default: allow
policies:
  - { name: p, state: enabled, conditions: { device: [unmanaged], countries: [DE] }, outcome: deny }
`);
    expect(evaluatePolicies(both, facts({ country: 'DE' }), NOW).outcome).toBe('deny');
    expect(evaluatePolicies(both, facts({ country: 'FR' }), NOW).outcome).toBe('allow');
    const decision = evaluatePolicies(both, facts({ country: 'DE' }), NOW);
    expect(decision.verdicts[0]?.matchedConditions).toEqual(['device', 'countries']);
  });
});

describe('evaluatePolicies: sign-in frequency', () => {
  const set = policySet(`
default: deny
policies:
  - { name: mfa-8h, state: enabled, outcome: allow, require: { all_of: [password, totp] }, sign_in_frequency: 8h }
  - { name: cert, state: enabled, outcome: allow, require: device_certificate }
`);
  const EIGHT_HOURS = 8 * 3600;
  const methods = (age: number) => ({ password: NOW - age, totp: NOW - age, device_certificate: NOW - 100_000 });

  it('limits only the methods the policy with the frequency can use', () => {
    const decision = evaluatePolicies(set, facts({ methods: methods(0) }), NOW);
    expect(decision.maxAgeSeconds).toEqual({ password: EIGHT_HOURS, totp: EIGHT_HOURS });
    expect(decision.unmet).toEqual([]);
  });

  it('still counts a method satisfied exactly at the limit', () => {
    expect(evaluatePolicies(set, facts({ methods: methods(EIGHT_HOURS) }), NOW).unmet).toEqual([]);
  });

  it('no longer counts a method satisfied one second past the limit', () => {
    const decision = evaluatePolicies(set, facts({ methods: methods(EIGHT_HOURS + 1) }), NOW);
    expect(decision.outcome).toBe('allow');
    expect(decision.unmet).toEqual([['password'], ['totp']]);
  });

  it('takes the shortest frequency when several policies limit a method', () => {
    const two = policySet(`
default: deny
policies:
  - { name: a, state: enabled, outcome: allow, require: password, sign_in_frequency: 7d }
  - { name: b, state: enabled, outcome: allow, require: mfa, sign_in_frequency: 30m }
`);
    const decision = evaluatePolicies(two, facts(), NOW);
    expect(decision.maxAgeSeconds).toEqual({
      password: 1800,
      totp: 1800,
      passkey: 1800,
      device_certificate: 1800,
      device_bound_passkey: 1800,
    });
  });

  it('limits every method when the policy requires nothing', () => {
    const any = policySet(
      'default: deny\npolicies:\n  - { name: a, state: enabled, outcome: allow, sign_in_frequency: 1h }\n',
    );
    expect(evaluatePolicies(any, facts(), NOW).maxAgeSeconds).toEqual({
      password: 3600,
      totp: 3600,
      passkey: 3600,
      device_certificate: 3600,
      device_bound_passkey: 3600,
    });
  });
});

describe('evaluatePolicies: highest_mfa', () => {
  const set = policySet(
    'default: deny\npolicies:\n  - { name: h, state: enabled, outcome: allow, require: highest_mfa }\n',
  );

  it('resolves to a passkey for a user who has one', () => {
    const decision = evaluatePolicies(set, facts({ enrolledMethods: ['password', 'totp', 'passkey'] }), NOW);
    expect(decision.requirement).toEqual([['passkey']]);
  });

  it('resolves to password and TOTP for a user with TOTP but no passkey', () => {
    const decision = evaluatePolicies(set, facts({ enrolledMethods: ['password', 'totp'] }), NOW);
    expect(decision.requirement).toEqual([['password'], ['totp']]);
  });

  it('falls back to mfa for a user with no second factor', () => {
    expect(evaluatePolicies(set, facts({ enrolledMethods: ['password'] }), NOW).requirement).toEqual([['mfa']]);
  });

  it('stays unresolved while the enrolled methods are unknown', () => {
    expect(evaluatePolicies(set, facts(), NOW).requirement).toEqual([['highest_mfa']]);
  });
});
