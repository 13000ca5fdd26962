// The sign-in orchestration as a specification: what comes next for a given decision, user and methods.
import { describe, expect, it } from '@jest/globals';
import { nextStep, type FlowInput } from '../../../src/interactions/flow.js';
import { SIGN_IN_METHODS } from '../../../src/interactions/methods/index.js';
import { decide, loadPolicySet, type Facts } from '../../../src/policies/index.js';

const NOW = 1_800_000_000;

function input(policyYaml: string, overrides: Partial<FlowInput> & { facts?: Partial<Facts> } = {}): FlowInput {
  const methods = overrides.methods ?? {};
  const facts: Facts = {
    client: { id: 'app', type: 'first_party' },
    ip: '192.0.2.1',
    country: null,
    methods,
    user: overrides.user ? { id: overrides.user.id, username: 'u', groups: ['staff'] } : undefined,
    enrolledMethods: overrides.user?.enrolled,
    ...overrides.facts,
  };
  return {
    decision: decide(loadPolicySet(policyYaml, 'test.yaml'), facts, NOW),
    registry: SIGN_IN_METHODS,
    now: NOW,
    ...overrides,
    methods,
  };
}

const ALLOW = 'default: allow\npolicies: []\n';
const STAFF_MFA = `default: allow
policies:
  - { name: staff-mfa, state: enabled, targets: { groups: [staff] }, outcome: allow, require: mfa, sign_in_frequency: 1h }
`;

describe('nextStep', () => {
  it('asks an unknown user for the identifying method first', () => {
    expect(nextStep(input(ALLOW))).toEqual({ kind: 'method', method: 'password' });
  });

  it('ends a denied sign-in with access_denied and the decision reason, before asking anything', () => {
    const step = nextStep(input('default: deny\npolicies: []\n'));
    expect(step).toMatchObject({ kind: 'fail', error: 'access_denied' });
  });

  it('finishes a password sign-in with acr pwd and amr pwd', () => {
    const step = nextStep(input(ALLOW, { user: { id: 'u1', enrolled: ['password'] }, methods: { password: NOW } }));
    expect(step).toEqual({
      kind: 'finish',
      accountId: 'u1',
      acr: 'urn:latchkey:acr:pwd',
      amr: ['pwd'],
      methods: ['password'],
    });
  });

  it('always asks a user who enrolled TOTP for it', () => {
    const step = nextStep(
      input(ALLOW, { user: { id: 'u1', enrolled: ['password', 'totp'] }, methods: { password: NOW } }),
    );
    expect(step).toEqual({ kind: 'method', method: 'totp' });
  });

  it('meets an mfa requirement with TOTP, and reports mfa', () => {
    const user = { id: 'u1', enrolled: ['password', 'totp'] as const };
    expect(
      nextStep(input(STAFF_MFA, { user: { ...user, enrolled: [...user.enrolled] }, methods: { password: NOW } })),
    ).toEqual({ kind: 'method', method: 'totp' });
    const done = nextStep(
      input(STAFF_MFA, { user: { ...user, enrolled: [...user.enrolled] }, methods: { password: NOW, totp: NOW } }),
    );
    expect(done).toMatchObject({ kind: 'finish', acr: 'urn:latchkey:acr:mfa', amr: ['pwd', 'otp', 'mfa'] });
  });

  it('fails, naming what is missing, when the user cannot meet a requirement', () => {
    const step = nextStep(input(STAFF_MFA, { user: { id: 'u1', enrolled: ['password'] }, methods: { password: NOW } }));
    expect(step).toMatchObject({ kind: 'fail', error: 'access_denied' });
    if (step.kind === 'fail') expect(step.description).toContain('multi-factor authentication');
  });

  it('asks again for methods older than the sign-in frequency', () => {
    const user = { id: 'u1', enrolled: ['password', 'totp'] as Array<'password' | 'totp'> };
    const stale = nextStep(input(STAFF_MFA, { user, methods: { password: NOW - 3601, totp: NOW - 3601 } }));
    expect(stale).toEqual({ kind: 'method', method: 'password' });
    const atLimit = nextStep(input(STAFF_MFA, { user, methods: { password: NOW - 3600, totp: NOW - 3600 } }));
    expect(atLimit.kind).toBe('finish');
  });

  it('maps acr_values mfa to a requirement and ends with unmet_authentication_requirements when impossible', () => {
    const possible = nextStep(
      input(ALLOW, {
        user: { id: 'u1', enrolled: ['password', 'totp'] },
        methods: { password: NOW },
        requiredAcr: 'urn:latchkey:acr:mfa',
      }),
    );
    expect(possible).toEqual({ kind: 'method', method: 'totp' });
    const impossible = nextStep(
      input(ALLOW, {
        user: { id: 'u1', enrolled: ['password'] },
        methods: { password: NOW },
        requiredAcr: 'urn:latchkey:acr:mfa',
      }),
    );
    expect(impossible).toMatchObject({ kind: 'fail', error: 'unmet_authentication_requirements' });
  });
});
