// Turns the measurements into what `npm run bench` prints: a markdown table (pasted into
// docs/performance.md), the per-vCPU figures beside published ones, the argon2id bound, the growth
// figures, and the issue's targets with met / not met.
import type { Argon2Bound } from '../micro/argon2-hash.js';
import type { PolicyDecisionResult } from '../micro/policy-evaluate.js';
import type { GrowthResult } from '../growth/index.js';
import { ratio, type Measurement } from './measure.js';
import type { TargetName } from './target.js';

export interface ScenarioResult {
  name: string;
  measurements: Partial<Record<TargetName, Measurement>>;
  /** The scenario whose baseline measurements Latchkey's is compared with (itself for shared scenarios). */
  comparedWith: string | null;
}

export interface RunResult {
  scenarios: ScenarioResult[];
  argon2: Argon2Bound;
  policies: PolicyDecisionResult[];
  growth: GrowthResult | null;
  /** Shared scenarios measured on Latchkey again after the growth seeding. */
  afterGrowth: ScenarioResult[];
}

/** Published per-vCPU figures: password logins/s and client-credentials grants/s. */
const PUBLISHED = {
  Keycloak: { 'code-flow-password': 15, 'client-credentials': 120 },
  'Zitadel v4': { 'code-flow-password': 39, 'client-credentials': 424 },
} as const;

const TARGET_ORDER: TargetName[] = ['latchkey', 'baseline-adapter', 'baseline-memory'];

/** Latchkey's throughput over `baseline`'s in the scenario it is compared with. */
export function ratioAgainst(run: RunResult, result: ScenarioResult, baseline: TargetName): number | undefined {
  const own = result.measurements.latchkey;
  const reference = run.scenarios.find((r) => r.name === result.comparedWith)?.measurements[baseline];
  return own && reference ? ratio(own, reference) : undefined;
}

export function scenarioTable(run: RunResult): string {
  const header = [
    'scenario',
    'target',
    'flows/s',
    'p50 ms',
    'p99 ms',
    'server CPU s / 1000',
    'flows/s per vCPU',
    'RSS MB',
    'load gen CPU',
    '× adapter baseline',
    '× memory baseline',
  ];
  const rows: string[][] = [];
  for (const result of run.scenarios) {
    for (const name of TARGET_ORDER) {
      const m = result.measurements[name];
      if (!m) continue;
      const own = name === 'latchkey';
      const against = (baseline: TargetName) => {
        const r = own ? ratioAgainst(run, result, baseline) : undefined;
        if (r === undefined) return own ? 'n/a' : '';
        return `${r.toFixed(2)}${result.comparedWith !== result.name ? ` (vs ${result.comparedWith})` : ''}`;
      };
      rows.push([
        own ? result.name : '',
        name,
        m.opsPerSecond.toFixed(1),
        m.p50Ms.toFixed(1),
        m.p99Ms.toFixed(1),
        m.cpuPer1000.toFixed(2),
        m.perCore.toFixed(0),
        (m.rssBytes / 2 ** 20).toFixed(0),
        `${(m.generatorCpuShare * 100).toFixed(0)} %`,
        against('baseline-adapter'),
        against('baseline-memory'),
      ]);
    }
  }
  return markdown(header, rows);
}

function markdown(header: string[], rows: string[][]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

function measured(run: RunResult, scenario: string, target: TargetName = 'latchkey'): Measurement | undefined {
  return run.scenarios.find((r) => r.name === scenario)?.measurements[target];
}

export function perVcpuTable(run: RunResult): string {
  const rows: string[][] = [];
  for (const scenario of ['code-flow-password', 'client-credentials'] as const) {
    const cells: string[] = [scenario];
    for (const target of TARGET_ORDER) cells.push(measured(run, scenario, target)?.perCore.toFixed(0) ?? '-');
    for (const published of Object.values(PUBLISHED)) cells.push(String(published[scenario]));
    rows.push(cells);
  }
  return markdown(['per vCPU (flows/s ÷ server CPU s/s)', ...TARGET_ORDER, ...Object.keys(PUBLISHED)], rows);
}

export function argon2Lines(run: RunResult): string {
  const { hashMs, cores, boundPerSecond } = run.argon2;
  const flow = measured(run, 'code-flow-password');
  const totp = measured(run, 'code-flow-password-totp');
  const perCoreBound = 1000 / hashMs;
  const share = (m: Measurement | undefined) =>
    m
      ? `${(m.opsPerSecond / boundPerSecond).toFixed(2)}× the bound (per vCPU ${m.perCore.toFixed(1)} of ` +
        `${perCoreBound.toFixed(1)} = ${(m.perCore / perCoreBound).toFixed(2)}×)`
      : 'n/a';
  return (
    `argon2id (m=19456 KiB, t=2, p=1): one verification ${hashMs.toFixed(1)} ms of CPU ` +
    `(${run.argon2.wallMs.toFixed(1)} ms wall); bound ${cores} cores ÷ ` +
    `${hashMs.toFixed(1)} ms = ${boundPerSecond.toFixed(1)} sign-ins/s; password flow ` +
    `${flow?.opsPerSecond.toFixed(1) ?? 'n/a'}/s = ${share(flow)}; password + TOTP ` +
    `${totp?.opsPerSecond.toFixed(1) ?? 'n/a'}/s = ${share(totp)}`
  );
}

export function policyTable(run: RunResult): string {
  return markdown(
    ['policies', 'decisions/s', 'p50 µs', 'p99 µs'],
    run.policies.map((p) => [
      String(p.policies),
      p.decisionsPerSecond.toFixed(0),
      p.p50Us.toFixed(1),
      p.p99Us.toFixed(1),
    ]),
  );
}

export function growthTable(run: RunResult): string {
  const g = run.growth;
  if (!g) return 'growth: skipped (BENCH_GROWTH_ROWS=0)';
  const n = g.rows.toLocaleString('en');
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
  return markdown(
    ['measurement', 'before (bench data only)', `after ${n} users, certificates and sessions`],
    [
      [
        'device check (GET /device/check, kept-alive mTLS), p50 / p99 ms',
        `${g.deviceCheckBefore.p50Ms.toFixed(2)} / ${g.deviceCheckBefore.p99Ms.toFixed(2)}`,
        `${g.deviceCheckAfter.p50Ms.toFixed(2)} / ${g.deviceCheckAfter.p99Ms.toFixed(2)}`,
      ],
      [
        'CRL: entries, size, time of a GET that rebuilds it',
        `${g.crlBefore.entries}, ${kb(g.crlBefore.bytes)}, ${g.crlBefore.buildMs.toFixed(1)} ms`,
        `${g.crlAfter.entries}, ${kb(g.crlAfter.bytes)}, ${g.crlAfter.buildMs.toFixed(1)} ms`,
      ],
      [
        `bytes per live session (${g.sessions.store === 'redis' ? 'Redis used_memory' : 'oidc_payloads, table + indexes'})`,
        '',
        g.sessions.bytesPerSession.toFixed(0),
      ],
      ['bytes per session_proofs row (SQL, table + indexes)', '', g.sessions.proofBytesPerSession.toFixed(0)],
      ...run.afterGrowth.map((after) => {
        const flow = (m: Measurement | undefined) =>
          m ? `${m.opsPerSecond.toFixed(1)}/s, ${m.cpuPer1000.toFixed(1)} ms` : 'not measured';
        return [
          `${after.name} on Latchkey: flows/s, server CPU per flow`,
          flow(measured(run, after.name)),
          flow(after.measurements.latchkey),
        ];
      }),
      ['seeding time (bulk inserts)', '', `${g.seedSeconds.toFixed(1)} s`],
    ],
  );
}

export interface TargetVerdict {
  target: string;
  value: string;
  met: boolean | null;
}

/** The issue's targets, each against the same-adapter baseline of this run. */
export function verdicts(run: RunResult): TargetVerdict[] {
  const out: TargetVerdict[] = [];
  const against = (scenario: string, floor: number, label: string) => {
    const result = run.scenarios.find((r) => r.name === scenario);
    const r = result ? ratioAgainst(run, result, 'baseline-adapter') : undefined;
    const reference = result && result.comparedWith !== scenario ? ` (reference: ${result.comparedWith})` : '';
    const own = result?.measurements.latchkey;
    const base = run.scenarios.find((x) => x.name === result?.comparedWith)?.measurements['baseline-adapter'];
    const perCore = own && base && base.perCore > 0 ? `; per vCPU ${(own.perCore / base.perCore).toFixed(2)}×` : '';
    out.push({
      target: `${label} ≥ ${floor}× same-adapter baseline${reference}`,
      value: r === undefined ? 'not measured' : `${r.toFixed(2)}× flows/s${perCore}`,
      met: r === undefined ? null : r >= floor,
    });
  };
  against('client-credentials', 0.9, 'client credentials');
  against('code-flow-session', 0.8, 'code flow on an existing session');
  against('device-certificate-flow', 0.8, 'device-certificate flow');
  against('code-flow-passkey', 0.8, 'passkey flow');
  const flow = measured(run, 'code-flow-password');
  const share = flow ? flow.opsPerSecond / run.argon2.boundPerSecond : undefined;
  const perCore = flow ? `; per vCPU ${((flow.perCore * run.argon2.hashMs) / 1000).toFixed(2)}×` : '';
  out.push({
    target: `password flow ≥ 0.8× the argon2id bound (${run.argon2.boundPerSecond.toFixed(1)}/s)`,
    value: share === undefined ? 'not measured' : `${share.toFixed(2)}× flows/s${perCore}`,
    met: share === undefined ? null : share >= 0.8,
  });
  const check = run.growth?.deviceCheckAfter;
  out.push({
    target: `device check p99 < 5 ms at ${run.growth?.rows.toLocaleString('en') ?? '100,000'} certificates`,
    value: check ? `${check.p99Ms.toFixed(2)} ms` : 'not measured',
    met: check ? check.p99Ms < 5 : null,
  });
  const hundred = run.policies.find((p) => p.policies === 100);
  out.push({
    target: 'policy decision p99 < 0.1 ms at 100 policies',
    value: hundred ? `${(hundred.p99Us / 1000).toFixed(4)} ms` : 'not measured',
    met: hundred ? hundred.p99Us < 100 : null,
  });
  return out;
}

export function verdictTable(run: RunResult): string {
  return markdown(
    ['target', 'this run', 'verdict'],
    verdicts(run).map((v) => [v.target, v.value, v.met === null ? 'not measured' : v.met ? 'met' : 'NOT MET']),
  );
}
