// The sign-in orchestration as a specification: what comes next for a given decision, client, user, proofs
// and methods that already ran to no avail.
import { describe, expect, it } from '@jest/globals';
import { firstFactors, nextStep, type FlowInput, type MethodDescriptor } from '../../../src/interactions/flow.js';
import type { Proof } from '../../../src/interactions/proofs.js';
import { decide, loadPolicySet, type ClientType, type Facts, type MethodName } from '../../../src/policies/index.js';

const NOW = 1_800_000_000;

const REGISTRY: MethodDescriptor[] = [
  { name: 'password', identifies: true, text: { requirement: 'your password', hint: 'Set a password.' } },
  {
    name: 'totp',
    identifies: false,
    text: { requirement: 'a code from your authenticator app', hint: 'Set up TOTP.' },
  },
  {
    name: 'device_certificate',
    identifies: true,
    text: { requirement: 'a trusted device', hint: 'Enroll this device.' },
  },
];

const AMR: Record<MethodName, string[]> = {
  password: ['pwd'],
  totp: ['otp'],
  device_certificate: ['pop', 'swk'],
  passkey: ['hwk', 'user'],
  device_bound_passkey: ['swk', 'user', 'mfa'],
};

/** A proof of `method` for user u1 at `at` (a device certificate proves a trusted device). */
function proof(method: MethodName, at = NOW): Proof {
  return {
    method,
    at,
    amr: AMR[method],
    userId: 'u1',
    ...(method === 'device_certificate' ? { device: { id: 'd1', userId: 'u1', trust: 'trusted' as const } } : {}),
  };
}

interface Case {
  clientKind?: ClientType;
  user?: { id: string; enrolled: MethodName[] };
  proofs?: Proof[];
  settled?: FlowInput['settled'];
  acrValues?: FlowInput['acrValues'];
  factor?: FlowInput['factor'];
}

function input(policyYaml: string, c: Case = {}): FlowInput {
  const proofs = c.proofs ?? [];
  const device = proofs.find((p) => p.device)?.device;
  const facts: Facts = {
    client: { id: 'app', type: c.clientKind ?? 'first_party' },
    ip: '192.0.2.1',
    country: null,
    methods: Object.fromEntries(proofs.map((p) => [p.method, p.at])),
    user: c.user ? { id: c.user.id, username: 'u', groups: ['staff'] } : undefined,
    enrolledMethods: c.user?.enrolled,
    device,
    deviceChecked: c.settled?.device_certificate !== undefined,
  };
  return {
    decision: decide(loadPolicySet(policyYaml, 'test.yaml'), facts, NOW),
    clientKind: c.clientKind ?? 'first_party',
    user: c.user,
    proofs,
    settled: c.settled ?? {},
    acrValues: c.acrValues ?? [],
    registry: REGISTRY,
    now: NOW,
    factor: c.factor,
  };
}

const ALLOW = 'default: allow\npolicies: []\n';
const STAFF_MFA = `default: allow
policies:
  - { name: staff-mfa, state: enabled, targets: { groups: [staff] }, outcome: allow, require: mfa, sign_in_frequency: 1h }
`;
const DENY_UNMANAGED = `default: allow
policies:
  - { name: managed-only, description: "Only company devices may sign in.", state: enabled, conditions: { device: [unmanaged] }, outcome: deny }
`;
const PASSWORDLESS_DEVICES = `default: allow
policies:
  - { name: devices-sign-in, state: enabled, conditions: { device: [trusted] }, outcome: allow, sign_in_with: [device_certificate] }
`;
const PASSWORD_USER = { id: 'u1', enrolled: ['password'] as MethodName[] };
const TOTP_USER = { id: 'u1', enrolled: ['password', 'totp'] as MethodName[] };
const DEVICE_USER = { id: 'u1', enrolled: ['password', 'device_certificate'] as MethodName[] };

describe('nextStep', () => {
  it('asks an unknown user for the password first, a federated factor for the device', () => {
    const identify = { kind: 'identify' };
    expect(nextStep(input(ALLOW))).toEqual({ kind: 'method', method: 'password', because: identify });
    expect(nextStep(input(ALLOW, { clientKind: 'factor' }))).toEqual({
      kind: 'method',
      method: 'device_certificate',
      because: identify,
    });
  });

  it('ends a denied sign-in with access_denied and what the person may read, before asking anything', () => {
    const step = nextStep(input('default: deny\npolicies: []\n'));
    expect(step).toMatchObject({ kind: 'fail', error: 'access_denied' });
  });

  it('finishes a password sign-in with acr pwd and amr pwd', () => {
    const step = nextStep(input(ALLOW, { user: PASSWORD_USER, proofs: [proof('password')] }));
    expect(step).toEqual({
      kind: 'finish',
      accountId: 'u1',
      acr: 'urn:latchkey:acr:pwd',
      amr: ['pwd'],
      proofs: [proof('password')],
    });
  });

  it('always asks a user who enrolled TOTP for multi-factor', () => {
    expect(nextStep(input(ALLOW, { user: TOTP_USER, proofs: [proof('password')] }))).toEqual({
      kind: 'method',
      method: 'totp',
      because: { kind: 'requirement', source: 'sign_in', clause: ['mfa'] },
    });
  });

  it('meets an mfa requirement with TOTP, and reports mfa', () => {
    expect(nextStep(input(STAFF_MFA, { user: TOTP_USER, proofs: [proof('password')] }))).toMatchObject({
      kind: 'method',
      method: 'totp',
      because: { kind: 'requirement', clause: ['mfa'] },
    });
    const done = nextStep(input(STAFF_MFA, { user: TOTP_USER, proofs: [proof('password'), proof('totp')] }));
    expect(done).toMatchObject({ kind: 'finish', acr: 'urn:latchkey:acr:mfa', amr: ['pwd', 'otp', 'mfa'] });
  });

  it('fails, naming what is missing, when the user cannot meet a requirement', () => {
    const step = nextStep(input(STAFF_MFA, { user: PASSWORD_USER, proofs: [proof('password')] }));
    expect(step).toMatchObject({ kind: 'fail', error: 'access_denied' });
    if (step.kind === 'fail') expect(step.description).toContain('multi-factor authentication');
  });

  it('asks again for methods older than the sign-in frequency', () => {
    const stale = nextStep(
      input(STAFF_MFA, { user: TOTP_USER, proofs: [proof('password', NOW - 3601), proof('totp', NOW - 3601)] }),
    );
    expect(stale).toMatchObject({ kind: 'method', method: 'password', because: { kind: 'requirement' } });
    const atLimit = nextStep(
      input(STAFF_MFA, { user: TOTP_USER, proofs: [proof('password', NOW - 3600), proof('totp', NOW - 3600)] }),
    );
    expect(atLimit.kind).toBe('finish');
  });

  it('maps acr_values mfa to a requirement and ends with unmet_authentication_requirements when impossible', () => {
    const acrValues = ['urn:latchkey:acr:mfa'] as const;
    expect(
      nextStep(input(ALLOW, { user: TOTP_USER, proofs: [proof('password')], acrValues: [...acrValues] })),
    ).toMatchObject({ kind: 'method', method: 'totp' });
    const impossible = nextStep(
      input(ALLOW, { user: PASSWORD_USER, proofs: [proof('password')], acrValues: [...acrValues] }),
    );
    expect(impossible).toMatchObject({ kind: 'fail', error: 'unmet_authentication_requirements' });
  });

  it('reaches acr_values device by running the device check, and issues that class', () => {
    const acrValues = ['urn:latchkey:acr:device'] as const;
    const ask = nextStep(input(ALLOW, { user: DEVICE_USER, proofs: [proof('password')], acrValues: [...acrValues] }));
    expect(ask).toEqual({
      kind: 'method',
      method: 'device_certificate',
      because: { kind: 'requirement', source: 'acr_values', clause: ['device_certificate', 'device_bound_passkey'] },
    });
    const done = nextStep(
      input(ALLOW, {
        user: DEVICE_USER,
        proofs: [proof('password'), proof('device_certificate')],
        acrValues: [...acrValues],
      }),
    );
    expect(done).toMatchObject({ kind: 'finish', acr: 'urn:latchkey:acr:device', amr: ['pwd', 'pop', 'swk', 'mfa'] });
    const failed = nextStep(
      input(ALLOW, {
        user: DEVICE_USER,
        proofs: [proof('password')],
        acrValues: [...acrValues],
        settled: { device_certificate: 'This device’s certificate was revoked.' },
      }),
    );
    expect(failed).toMatchObject({ kind: 'fail', error: 'unmet_authentication_requirements' });
    if (failed.kind === 'fail') expect(failed.description).toContain('This device’s certificate was revoked.');
  });

  it('checks the device before a deny that rests on it is final, and before any password', () => {
    expect(nextStep(input(DENY_UNMANAGED))).toEqual({
      kind: 'method',
      method: 'device_certificate',
      because: { kind: 'device_check' },
    });
    const refused = nextStep(
      input(DENY_UNMANAGED, { settled: { device_certificate: 'No device certificate was presented.' } }),
    );
    expect(refused).toMatchObject({ kind: 'fail', error: 'access_denied' });
    if (refused.kind === 'fail') {
      expect(refused.description).toBe('Only company devices may sign in. No device certificate was presented.');
      expect(refused.description).not.toContain('managed-only');
    }
  });

  it('still asks for the password after a device identified its owner, unless a policy lets the device sign in', () => {
    const device = [proof('device_certificate')];
    expect(nextStep(input(DENY_UNMANAGED, { user: DEVICE_USER, proofs: device }))).toMatchObject({
      kind: 'method',
      method: 'password',
      because: { kind: 'requirement', source: 'sign_in' },
    });
    expect(nextStep(input(PASSWORDLESS_DEVICES, { user: DEVICE_USER, proofs: device }))).toMatchObject({
      kind: 'finish',
      acr: 'urn:latchkey:acr:device',
      amr: ['pop', 'swk'],
    });
  });

  it('lets a device alone sign in for a federated factor, and never offers it a password', () => {
    const device = [proof('device_certificate')];
    expect(nextStep(input(ALLOW, { clientKind: 'factor', user: DEVICE_USER, proofs: device }))).toMatchObject({
      kind: 'finish',
      amr: ['pop', 'swk'],
    });
    const noDevice = nextStep(
      input(ALLOW, { clientKind: 'factor', settled: { device_certificate: 'No device certificate was presented.' } }),
    );
    expect(noDevice).toMatchObject({ kind: 'fail', error: 'access_denied' });
    expect(firstFactors('factor', ['password', 'device_certificate'])).not.toContain('password');
  });

  it('does not offer a settled method again, so nothing loops', () => {
    const step = nextStep(
      input(
        `default: allow
policies:
  - { name: need-device, state: enabled, outcome: allow, require: device_certificate }
`,
        { user: DEVICE_USER, proofs: [proof('password')], settled: { device_certificate: 'revoked' } },
      ),
    );
    expect(step).toMatchObject({ kind: 'fail', error: 'access_denied' });
  });
});

describe('nextStep for a factor client (another IdP checking the device)', () => {
  const NO_CERT = { device_certificate: 'No device certificate was presented.' };
  const OKTA = { reportsUnmanaged: false, sessionSeconds: 12 * 3600, clientName: 'Okta' };
  const factorInput = (c: Case) => input(ALLOW, { clientKind: 'factor', ...c });

  it('finishes on the device alone for the user the IdP named', () => {
    const step = nextStep(
      factorInput({
        user: DEVICE_USER,
        proofs: [proof('device_certificate')],
        factor: { ...OKTA, expected: { id: 'u1', named: 'u1@example.com' } },
      }),
    );
    expect(step).toMatchObject({ kind: 'finish', accountId: 'u1', acr: 'urn:latchkey:acr:device' });
  });

  it('refuses a device of another person than the one the IdP named, saying whom it asked about', () => {
    const step = nextStep(
      factorInput({
        user: DEVICE_USER,
        proofs: [proof('device_certificate')],
        factor: { ...OKTA, expected: { id: 'u2', named: 'bob@example.com' } },
      }),
    );
    expect(step).toMatchObject({ kind: 'fail', error: 'access_denied' });
    if (step.kind === 'fail') expect(step.description).toContain("bob@example.com's, whom Okta asked about");
  });

  it('refuses at once a hint naming nobody here', () => {
    const step = nextStep(factorInput({ factor: { ...OKTA, expected: { id: null, named: 'eve@example.com' } } }));
    expect(step).toMatchObject({ kind: 'fail', error: 'access_denied' });
    if (step.kind === 'fail') expect(step.description).toContain('eve@example.com, who has no Latchkey account');
  });

  it('denies without a device, naming the IdP and why the check found none', () => {
    const unnamed = nextStep(factorInput({ settled: NO_CERT, factor: OKTA }));
    expect(unnamed).toMatchObject({ kind: 'fail', error: 'access_denied' });
    if (unnamed.kind === 'fail') {
      expect(unnamed.description).toBe(
        'Okta needs a device enrolled with Latchkey, and this sign-in proved none. No device certificate was presented.',
      );
    }
    const named = nextStep(
      factorInput({ user: DEVICE_USER, settled: NO_CERT, factor: { ...OKTA, expected: { id: 'u1', named: 'u1' } } }),
    );
    expect(named).toMatchObject({ kind: 'fail', error: 'access_denied' });
  });

  it('answers a device_context client without a device for the named user, claiming no acr', () => {
    const reports = { ...OKTA, reportsUnmanaged: true, expected: { id: 'u1', named: 'u1' } };
    expect(nextStep(factorInput({ user: DEVICE_USER, settled: NO_CERT, factor: reports }))).toEqual({
      kind: 'finish',
      accountId: 'u1',
      amr: [],
      proofs: [],
    });
    // Still tries the device first, and without a name it cannot say whom it is about.
    expect(nextStep(factorInput({ user: DEVICE_USER, factor: reports }))).toMatchObject({
      kind: 'method',
      method: 'device_certificate',
    });
    expect(nextStep(factorInput({ settled: NO_CERT, factor: { ...reports, expected: undefined } }))).toMatchObject({
      kind: 'fail',
      error: 'access_denied',
    });
  });

  it("relies on a proven device for the client's session lifetime, then checks it again", () => {
    const factor = { ...OKTA, sessionSeconds: 3600, expected: { id: 'u1', named: 'u1' } };
    const recent = [proof('device_certificate', NOW - 3000)];
    expect(nextStep(factorInput({ user: DEVICE_USER, proofs: recent, factor }))).toMatchObject({ kind: 'finish' });
    const old = [proof('device_certificate', NOW - 4000)];
    expect(nextStep(factorInput({ user: DEVICE_USER, proofs: old, factor }))).toMatchObject({
      kind: 'method',
      method: 'device_certificate',
    });
  });

  it('issues the factor category Entra asks for, and refuses one no device can meet', () => {
    const device = [proof('device_certificate')];
    expect(
      nextStep(factorInput({ user: DEVICE_USER, proofs: device, acrValues: ['possessionorinherence'] })),
    ).toMatchObject({ kind: 'finish', acr: 'possessionorinherence' });
    expect(nextStep(factorInput({ user: DEVICE_USER, proofs: device, acrValues: ['inherence'] }))).toMatchObject({
      kind: 'fail',
      error: 'unmet_authentication_requirements',
    });
  });
});
