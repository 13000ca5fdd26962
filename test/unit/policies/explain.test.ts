import { describe, expect, it } from '@jest/globals';
import { evaluatePolicies } from '../../../src/policies/evaluate.js';
import { decisionToJson, renderDecisionText, summarisePolicySet } from '../../../src/policies/explain.js';
import { facts, NOW, policySet } from './helpers.js';

const set = policySet(`
default: allow
named_locations:
  office: [203.0.113.0/24]
policies:
  - { name: office-deny, state: enabled, conditions: { ip: [office] }, outcome: deny }
  - { name: need-mfa, state: enabled, outcome: allow, require: { all_of: [mfa, { any_of: [passkey, device_certificate] }] }, sign_in_frequency: 8h }
  - { name: try-passkey, state: report-only, outcome: allow, require: passkey }
  - { name: old, state: disabled, outcome: deny }
`);

describe('what-if rendering', () => {
  it('prints the decision and a table of every verdict with its reasons', () => {
    const text = renderDecisionText(evaluatePolicies(set, facts({ methods: { password: NOW } }), NOW));
    expect(text).toContain('Decision: ALLOW (policy)');
    expect(text).toContain('Requires: mfa AND (passkey OR device_certificate)');
    expect(text).toContain('Still unmet: mfa AND (passkey OR device_certificate)');
    expect(text).toContain('Sign-in frequency: password 8h, totp 8h, passkey 8h, device_certificate 8h');
    expect(text).toContain('Report-only: would require passkey (unmet: passkey)');
    const lines = text.split('\n');
    const header = lines.find((line) => line.startsWith('POLICY'));
    expect(header).toMatch(/^POLICY\s+STATE\s+VERDICT\s+REQUIRES\s+REASONS$/);
    expect(lines.find((line) => line.startsWith('office-deny'))).toMatch(/enabled\s+not matched\s+-\s+client portal/);
    expect(text).toContain('ip 8.8.8.8 is not in named location office');
    expect(lines.find((line) => line.startsWith('try-passkey'))).toMatch(/report-only\s+would allow\s+passkey/);
    expect(lines.find((line) => line.startsWith('old'))).toMatch(/disabled\s+skipped/);
  });

  it('prints a deny without requirements', () => {
    const text = renderDecisionText(evaluatePolicies(set, facts({ ip: '203.0.113.5' }), NOW));
    expect(text).toContain('Decision: DENY (policy)');
    expect(text).toContain('denied by policy office-deny');
    expect(text).not.toContain('Requires:');
    expect(text).toContain('ip 203.0.113.5 is in named location office');
  });

  it('gives a JSON form with the same content', () => {
    const json = decisionToJson(evaluatePolicies(set, facts(), NOW));
    expect(json).toMatchObject({
      outcome: 'allow',
      basis: 'policy',
      requires: 'mfa AND (passkey OR device_certificate)',
      requirement: [['mfa'], ['passkey', 'device_certificate']],
      evaluatedAt: '2026-01-01T00:00:00.000Z',
      reportOnly: { wouldDeny: [], wouldRequire: [['passkey']] },
    });
    expect(json.verdicts.map((verdict) => [verdict.policy, verdict.verdict])).toEqual([
      ['office-deny', 'not_matched'],
      ['need-mfa', 'allow'],
      ['try-passkey', 'allow'],
      ['old', 'skipped'],
    ]);
    expect(json.verdicts[1]?.signInFrequency).toBe('8h');
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });

  it('summarises a policy set for policy check', () => {
    expect(summarisePolicySet(set)).toBe(
      'test-policies.yaml: 4 policies (2 enabled, 1 report-only, 1 disabled), 1 named location; ' +
        'default: first_party allow, third_party allow, factor allow',
    );
  });

  it('says "1 policy" and "0 named locations" in the summary', () => {
    const one = { ...set, policies: set.policies.slice(0, 1), namedLocations: new Map() };
    expect(summarisePolicySet(one)).toMatch(/: 1 policy \(.*\), 0 named locations;/);
  });
});
