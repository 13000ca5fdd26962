// A factor client is offered only device-bound proofs, whatever a policy says and whatever the request
// asks for with acr_values or the claims parameter: a requirement a device cannot meet (a policy's mfa,
// acr urn:latchkey:acr:mfa, Entra's knowledge, a category TOTP would meet) ends the sign-in with an OAuth
// error instead of a password or TOTP page.
import { describe, expect, it } from '@jest/globals';
import { nextStep, type FlowInput, type FlowStep, type MethodDescriptor } from '../../../src/interactions/flow.js';
import type { Proof } from '../../../src/interactions/proofs.js';
import { decide, loadPolicySet, type Facts, type MethodName } from '../../../src/policies/index.js';

const NOW = 1_800_000_000;
const REGISTRY: MethodDescriptor[] = [
  { name: 'password', identifies: true, text: { requirement: 'your password', hint: '' } },
  { name: 'totp', identifies: false, text: { requirement: 'a code from your authenticator app', hint: '' } },
  { name: 'device_certificate', identifies: true, text: { requirement: 'a trusted device', hint: '' } },
];
const DEVICE: Proof = {
  method: 'device_certificate',
  at: NOW,
  amr: ['pop', 'swk'],
  userId: 'u1',
  device: { id: 'd1', userId: 'u1', trust: 'trusted' },
};
const NO_CERT = { device_certificate: 'No device certificate was presented.' };
const OKTA = {
  reportsUnmanaged: false,
  sessionSeconds: 12 * 3600,
  clientName: 'Okta',
  expected: { id: 'u1', named: 'u1' },
};

function factorInput(
  policy: string,
  c: {
    enrolled: MethodName[];
    proofs: Proof[];
    acrValues?: FlowInput['acrValues'];
    settled?: FlowInput['settled'];
    factor?: FlowInput['factor'];
  },
): FlowInput {
  const device = c.proofs.find((p) => p.device)?.device;
  const facts: Facts = {
    client: { id: 'okta', type: 'factor' },
    ip: '192.0.2.1',
    country: null,
    methods: Object.fromEntries(c.proofs.map((p) => [p.method, p.at])),
    user: { id: 'u1', username: 'u', groups: ['staff'] },
    enrolledMethods: c.enrolled,
    device,
    deviceChecked: c.settled?.device_certificate !== undefined,
  };
  return {
    decision: decide(loadPolicySet(policy, 'test.yaml'), facts, NOW),
    clientKind: 'factor',
    user: { id: 'u1', enrolled: c.enrolled },
    proofs: c.proofs,
    settled: c.settled ?? {},
    acrValues: c.acrValues ?? [],
    registry: REGISTRY,
    now: NOW,
    factor: c.factor ?? OKTA,
  };
}

/** A factor client's step may ask only for a device-bound proof. */
function expectNoOtherMethod(step: FlowStep): void {
  if (step.kind === 'method') expect(['device_certificate', 'device_bound_passkey']).toContain(step.method);
}

const ALLOW = 'default: allow\npolicies: []\n';
const MFA_EVERYWHERE = `default: allow
policies:
  - { name: mfa-everywhere, state: enabled, outcome: allow, require: mfa }
`;

describe('a factor client is never offered a password or TOTP page', () => {
  it('when a policy that does not target client types requires mfa', () => {
    const step = nextStep(
      factorInput(MFA_EVERYWHERE, { enrolled: ['password', 'device_certificate'], proofs: [DEVICE] }),
    );
    expectNoOtherMethod(step);
    expect(step).toMatchObject({ kind: 'fail', error: 'access_denied' });
  });

  it('when the request asks for acr_values urn:latchkey:acr:mfa', () => {
    const step = nextStep(
      factorInput(ALLOW, {
        enrolled: ['password', 'device_certificate'],
        proofs: [DEVICE],
        acrValues: ['urn:latchkey:acr:mfa'],
      }),
    );
    expectNoOtherMethod(step);
    expect(step).toMatchObject({ kind: 'fail', error: 'unmet_authentication_requirements' });
  });

  it('when Entra asks for the category knowledge (docs/entra.md: it cannot be met)', () => {
    const step = nextStep(
      factorInput(ALLOW, { enrolled: ['password', 'device_certificate'], proofs: [DEVICE], acrValues: ['knowledge'] }),
    );
    expectNoOtherMethod(step);
    expect(step).toMatchObject({ kind: 'fail', error: 'unmet_authentication_requirements' });
  });

  it('when a device_context client without a device is asked for a category TOTP meets', () => {
    const step = nextStep(
      factorInput(ALLOW, {
        enrolled: ['password', 'totp'],
        proofs: [],
        settled: NO_CERT,
        acrValues: ['possessionorinherence'],
        factor: { ...OKTA, reportsUnmanaged: true },
      }),
    );
    expectNoOtherMethod(step);
    expect(step.kind).toBe('fail');
  });
});
