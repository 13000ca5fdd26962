// Decisions per second of the pure policy engine (decide = evaluate + account-page rule) on the example
// policy file, against an empty policy set measured in the same run as the baseline.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { PACKAGE_ROOT } from '../../src/config/load.js';
import { decide, loadPolicySet, type Facts, type PolicySet } from '../../src/policies/index.js';

export interface MicroResult {
  name: string;
  opsPerSecond: number;
  baselineOpsPerSecond: number;
  ratio: number;
}

const FACTS: Facts[] = [
  {
    client: { id: 'portal', type: 'first_party' },
    ip: '203.0.113.7',
    country: 'NL',
    platform: 'macos',
    osVersion: '14.4',
    methods: { password: 1 },
    user: { id: 'u1', username: 'alice', groups: ['staff'] },
    enrolledMethods: ['password', 'totp'],
  },
  {
    client: { id: 'okta', type: 'factor' },
    ip: '198.51.100.20',
    country: 'US',
    platform: 'windows',
    osVersion: '10.0',
    methods: {},
    device: { id: 'd1', trust: 'trusted' },
  },
  {
    client: { id: 'wiki', type: 'third_party' },
    ip: '2001:db8::1',
    country: null,
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64)',
    methods: { password: 1, totp: 1 },
  },
];

function rate(policySet: PolicySet, seconds: number): number {
  const now = Math.floor(Date.now() / 1000);
  let count = 0;
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    for (let i = 0; i < 1000; i += 1) decide(policySet, FACTS[i % FACTS.length]!, now);
    count += 1000;
  }
  return count / seconds;
}

/** Runs both measurements for `seconds` each (after a short warm-up). */
export function policyEvaluateBenchmark(seconds = 2): MicroResult {
  const example = loadPolicySet(
    readFileSync(path.join(PACKAGE_ROOT, 'config', 'policies.example.yaml'), 'utf8'),
    'policies.example.yaml',
  );
  const empty = loadPolicySet('default: allow\npolicies: []\n', '(empty)');
  rate(example, 0.3);
  rate(empty, 0.3);
  const opsPerSecond = rate(example, seconds);
  const baselineOpsPerSecond = rate(empty, seconds);
  return {
    name: 'policy-evaluate (example file vs empty set)',
    opsPerSecond,
    baselineOpsPerSecond,
    ratio: opsPerSecond / baselineOpsPerSecond,
  };
}
