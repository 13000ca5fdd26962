// `npm run bench`: the load generator. Starts Latchkey (the compiled build, bin/latchkey-server.js) and
// two bare oidc-provider baselines (in memory, and on Latchkey's own adapter) each in a server process of
// its own, runs every scenario against them in rounds that alternate between the targets (so a change of
// load on the machine hits all alike), reads each server's CPU time and memory from /proc, then measures
// policy decisions, one argon2id hash, and how the device check, CRL and sessions grow with data.
// Prints markdown tables (also written to BENCH_REPORT when set) and ends with one machine-readable line:
// BENCH_RESULT {json}. Variables: bench/lib/options.ts and docs/performance.md.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { startBaseline } from './lib/baselines.js';
import { prepareDeployment, selectBackend, type Deployment } from './lib/deployment.js';
import { startLatchkey, type LatchkeyTarget } from './lib/latchkey.js';
import { roundOptions, sample, summarize, type Measurement, type Operation, type Sample } from './lib/measure.js';
import { optionsFromEnv, type BenchOptions } from './lib/options.js';
import {
  argon2Lines,
  growthTable,
  perVcpuTable,
  policyTable,
  scenarioTable,
  verdictTable,
  verdicts,
  type RunResult,
  type ScenarioResult,
} from './lib/report.js';
import type { Scenario } from './lib/scenario.js';
import type { Target, TargetName } from './lib/target.js';
import { argon2Bound } from './micro/argon2-hash.js';
import { policyDecisions } from './micro/policy-evaluate.js';
import { growth } from './growth/index.js';
import { cleanUpRedis } from './growth/cleanup.js';
import { certificateIssuanceBenchmark, formatIssuance } from './micro/certificate-issuance.js';
import { cliStartBenchmark, formatCliStart } from './micro/cli-start.js';
import { clientCredentials } from './scenarios/client-credentials.js';
import { scepEnroll } from './scenarios/scep-enroll.js';
import { codeFlowPasskey } from './scenarios/code-flow-passkey.js';
import { codeFlowPassword } from './scenarios/code-flow-password.js';
import { codeFlowSession } from './scenarios/code-flow-session.js';
import { codeFlowTotp } from './scenarios/code-flow-totp.js';
import { deviceCertificateFlow } from './scenarios/device-certificate-flow.js';
import { deviceEnroll } from './scenarios/device-enroll.js';
import { deviceRenew } from './scenarios/device-renew.js';
import { discoveryJwks } from './scenarios/discovery-jwks.js';
import { oktaFactorFlow } from './scenarios/okta-factor-flow.js';

/** Shared scenarios first: Latchkey-only ones are compared with their baseline measurements. */
const SCENARIOS: readonly Scenario[] = [
  clientCredentials,
  codeFlowSession,
  codeFlowPassword,
  discoveryJwks,
  codeFlowTotp,
  deviceCertificateFlow,
  codeFlowPasskey,
  oktaFactorFlow,
  deviceEnroll,
  deviceRenew,
  scepEnroll,
];

async function main(options: BenchOptions): Promise<void> {
  const began = performance.now();
  const backend = selectBackend();
  // First, while no server runs: an admin command's start-up as operators run it, and issuance alone.
  progress('cli start time (latchkey users list) and certificate issuance');
  const micro = { cliStart: cliStartBenchmark(), issuance: await certificateIssuanceBenchmark(1) };
  const runDir = mkdtempSync(path.join(tmpdir(), 'latchkey-bench-'));
  progress(`backend ${backend}; servers' logs and data in ${runDir}`);
  const deployments: Deployment[] = [];
  const targets: Target[] = [];
  try {
    for (const name of ['latchkey', 'baseline-adapter', 'baseline-memory'])
      deployments.push(await prepareDeployment(name, runDir));
    progress('seeding and starting latchkey (dist/, NODE_ENV=production)');
    const latchkey = await startLatchkey(deployments[0]!, seedFor(options));
    targets.push(latchkey);
    const tls = {
      cert: latchkey.ca,
      certFile: path.join(latchkey.deployment.dataDir, 'dev-tls', 'cert.pem'),
      keyFile: path.join(latchkey.deployment.dataDir, 'dev-tls', 'key.pem'),
    };
    progress('starting the baselines');
    targets.push(await startBaseline('latchkey', deployments[1]!, tls));
    targets.push(await startBaseline('memory', deployments[2]!, tls));

    const scenarios: ScenarioResult[] = [];
    const chosen = options.scenarios;
    const unknown = chosen?.filter((name) => name !== 'none' && !SCENARIOS.some((s) => s.name === name)) ?? [];
    if (unknown.length) throw new Error(`BENCH_SCENARIOS names no scenario ${unknown.join(', ')}`);
    for (const scenario of SCENARIOS.filter((s) => !chosen || chosen.includes(s.name))) {
      const on = scenario.kind === 'shared' ? targets : [latchkey];
      progress(`${scenario.name} on ${on.map((t) => t.name).join(', ')}`);
      scenarios.push({
        name: scenario.name,
        measurements: await measureAlternating(scenario, on, latchkey, options),
        comparedWith: scenario.kind === 'shared' ? scenario.name : scenario.comparedWith,
      });
    }
    progress('policy decisions with 1, 100 and 1,000 policies');
    const policies = policyDecisions(Math.min(options.seconds, 2));
    progress('one argon2id hash');
    const argon2 = await argon2Bound();
    let grown = null;
    if (options.growthRows > 0) {
      progress(`growth to ${options.growthRows} users, device certificates and sessions`);
      grown = await growth(latchkey, options.growthRows, Math.min(options.seconds, 3));
    }
    // The sign-ins again on the grown data (Latchkey alone, one round): does a lookup grow with the tables?
    const afterGrowth: ScenarioResult[] = [];
    for (const scenario of grown ? [codeFlowPassword, codeFlowSession] : []) {
      progress(`${scenario.name} on latchkey after growth`);
      const once = { ...options, rounds: 1, seconds: Math.max(1, options.seconds / 2) };
      const measurements = await measureAlternating(scenario, [latchkey], latchkey, once);
      afterGrowth.push({ name: scenario.name, measurements, comparedWith: scenario.name });
    }
    const run: RunResult = { scenarios, argon2, policies, growth: grown, afterGrowth };
    const seconds = (performance.now() - began) / 1000;
    const report = [
      `Backend ${backend}, node ${process.version}, ${argon2.cores} cores; per scenario and target ` +
        `${options.seconds} s at concurrency ${options.concurrency} in ${options.rounds} alternating rounds; ` +
        `total ${seconds.toFixed(0)} s.`,
      '',
      scenarioTable(run),
      '',
      'Latchkey-only flows are compared with the baselines’ code flow named in brackets: device-certificate, ' +
        'passkey and Okta factor flows, and password + TOTP, with code-flow-password, a new sign-in in which ' +
        'the baselines sign their fixed account in without any check.',
      '',
      perVcpuTable(run),
      '',
      argon2Lines(run),
      '',
      formatCliStart(micro.cliStart),
      '',
      formatIssuance(micro.issuance),
      '',
      policyTable(run),
      '',
      growthTable(run),
      '',
      verdictTable(run),
      '',
    ].join('\n');
    process.stdout.write(report);
    if (process.env.BENCH_REPORT) writeFileSync(process.env.BENCH_REPORT, report);
    process.stdout.write(
      `BENCH_RESULT ${JSON.stringify({ ...resultJson(run, backend, options, seconds), ...micro })}\n`,
    );
  } finally {
    await Promise.allSettled(targets.map((t) => t.close()));
    for (const deployment of deployments) {
      await cleanUpRedis(deployment).catch(() => undefined);
      await deployment.backend.dispose().catch(() => undefined);
      rmSync(deployment.dataDir, { recursive: true, force: true });
    }
  }
}

/** Enough single-use tokens and TOTP users for the run's length (each TOTP user signs in once a step). */
function seedFor(options: BenchOptions) {
  return {
    enrollmentTokens: Math.ceil(250 * options.seconds) + 16 * options.concurrency + 50,
    totpUsers: Math.max(200, Math.ceil(40 * options.seconds)),
  };
}

/** Prepares the scenario on each target, then samples them in alternating rounds (order flipped per round). */
async function measureAlternating(
  scenario: Scenario,
  targets: readonly Target[],
  latchkey: LatchkeyTarget,
  options: BenchOptions,
): Promise<Partial<Record<TargetName, Measurement>>> {
  const prepared: Array<[Target, Operation]> = [];
  for (const target of targets) {
    const operation =
      scenario.kind === 'shared'
        ? await scenario.prepare(target, options.concurrency)
        : await scenario.prepare(latchkey, options.concurrency);
    prepared.push([target, operation]);
  }
  const samples = new Map<TargetName, Sample[]>(targets.map((t) => [t.name, []]));
  for (let r = 0; r < options.rounds; r += 1) {
    const order = r % 2 === 0 ? prepared : [...prepared].reverse();
    for (const [target, operation] of order)
      samples.get(target.name)!.push(await sample(operation, roundOptions(options, options.rounds, r), target.process));
  }
  return Object.fromEntries([...samples].map(([name, taken]) => [name, summarize(taken)]));
}

function resultJson(run: RunResult, backend: string, options: BenchOptions, seconds: number) {
  const round = (value: number, digits = 2) => Number(value.toFixed(digits));
  const m = (x: Measurement) => ({
    opsPerSecond: round(x.opsPerSecond),
    p50Ms: round(x.p50Ms),
    p99Ms: round(x.p99Ms),
    count: x.count,
    cpuPer1000: round(x.cpuPer1000, 3),
    perCore: round(x.perCore, 1),
    rssMiB: round(x.rssBytes / 2 ** 20, 1),
    generatorCpuShare: round(x.generatorCpuShare, 2),
  });
  return {
    backend,
    node: process.version,
    options,
    totalSeconds: round(seconds, 1),
    scenarios: run.scenarios.map((s) => ({
      name: s.name,
      comparedWith: s.comparedWith,
      ...Object.fromEntries(Object.entries(s.measurements).map(([target, x]) => [target, m(x)])),
    })),
    argon2: {
      ...run.argon2,
      hashMs: round(run.argon2.hashMs),
      wallMs: round(run.argon2.wallMs),
      boundPerSecond: round(run.argon2.boundPerSecond, 1),
    },
    policies: run.policies.map((p) => ({ ...p, decisionsPerSecond: Math.round(p.decisionsPerSecond) })),
    growth: run.growth,
    afterGrowth: run.afterGrowth.map((s) => ({ name: s.name, latchkey: m(s.measurements.latchkey!) })),
    targets: verdicts(run),
  };
}

function progress(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

const options = optionsFromEnv();
if (!options) process.exit(2);
main(options).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench: failed: ${(error as Error)?.stack ?? error}\n`);
    process.exit(1);
  },
);
