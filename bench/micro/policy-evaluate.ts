// Policy decisions (decide = evaluate + the account-page rule) of the pure engine, timed one by one, on
// generated policy sets of 1, 100 and 1,000 policies that look like a real tenant's: most target other
// applications, groups or networks and so do not match, a few deny, the rest add requirements.
import { performance } from 'node:perf_hooks';
import { decide, loadPolicySet, type Facts, type PolicySet } from '../../src/policies/index.js';
import { percentile } from '../lib/measure.js';

export interface PolicyDecisionResult {
  policies: number;
  decisionsPerSecond: number;
  p50Us: number;
  p99Us: number;
}

const FACTS: Facts[] = [
  {
    client: { id: 'app-1', type: 'first_party' },
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
    client: { id: 'app-7', type: 'third_party' },
    ip: '2001:db8::1',
    country: null,
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64)',
    methods: { password: 1, totp: 1 },
  },
];

const COUNTRIES = ['CU', 'SY', 'BY', 'RU', 'CN', 'VE', 'MM', 'AF', 'IQ', 'LY', 'SD', 'SO', 'YE', 'ZW', 'NI', 'ER'];

/** A policy file of `count` policies (YAML, as an admin writes it). */
export function policyFile(count: number): string {
  const lines = ['default: allow', 'policies:'];
  for (let i = 0; i < count; i += 1) {
    const targets =
      i % 3 === 0 ? `{ clients: [app-${i % 50}, app-${(i + 1) % 50}] }` : `{ groups: [group-${i % 40}, staff] }`;
    const conditions = [
      `{ countries: [KP, IR, ${COUNTRIES[i % COUNTRIES.length]}] }`,
      `{ not_ip: [10.${i % 256}.0.0/16, 192.168.${i % 256}.0/24] }`,
      `{ device: [unmanaged] }`,
      `{ platforms: [macos, windows] }`,
    ][i % 4];
    const outcome = i % 7 === 0 ? 'outcome: deny' : 'outcome: allow\n    require: mfa';
    lines.push(`  - name: policy-${i}`, '    state: enabled', `    targets: ${targets}`);
    lines.push(`    conditions: ${conditions}`, `    ${outcome}`);
  }
  return `${lines.join('\n')}\n`;
}

function measure(policySet: PolicySet, seconds: number): { count: number; elapsedMs: number; sorted: number[] } {
  const now = Math.floor(Date.now() / 1000);
  const latencies: number[] = [];
  const started = performance.now();
  const end = started + seconds * 1000;
  for (let i = 0; performance.now() < end; i += 1) {
    const t0 = process.hrtime.bigint();
    decide(policySet, FACTS[i % FACTS.length]!, now);
    latencies.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  return { count: latencies.length, elapsedMs: performance.now() - started, sorted: latencies.sort((a, b) => a - b) };
}

/** Decisions per second and per-decision p50/p99 (µs) at each size, `seconds` each after a warm-up. */
export function policyDecisions(seconds: number, sizes = [1, 100, 1000]): PolicyDecisionResult[] {
  return sizes.map((policies) => {
    const set = loadPolicySet(policyFile(policies), `generated-${policies}.yaml`);
    measure(set, Math.min(0.3, seconds));
    const { count, elapsedMs, sorted } = measure(set, seconds);
    return {
      policies,
      decisionsPerSecond: (count * 1000) / elapsedMs,
      p50Us: percentile(sorted, 50),
      p99Us: percentile(sorted, 99),
    };
  });
}
