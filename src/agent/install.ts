// Where the device certificate goes once the agent holds it, per platform. Linux: the user's NSS database
// (every Chromium-family browser), each Firefox profile's NSS database, the auto-select policy of every
// Chromium-family browser present and Firefox's system policy. macOS and Windows: their plans
// (platforms/), run by the executor. Each function appends what it did to `lines`.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LatchkeyError } from '../errors.js';
import { parseCertificate } from '../trust/certificate-input.js';
import { removeChromePolicy, writeChromePolicy } from './chrome-policy.js';
import { findFirefoxProfiles, removeFirefoxPolicy, writeFirefoxPolicy } from './firefox.js';
import { installIntoNss, NSS_NICKNAME, removeLatchkeyFromNss } from './nss.js';
import { buildPkcs12, randomPkcs12Password } from './pkcs12.js';
import { certificateFacts } from './platforms/facts.js';
import { macosInstallPlan, macosKeychainPath, macosRemovePlan } from './platforms/macos.js';
import { type Executor, type Plan, runPlan, systemExecutor } from './platforms/plan.js';
import {
  registryRuleIndex,
  type WindowsBrowser,
  windowsInstallPlan,
  windowsPolicyKey,
  windowsRemovePlan,
} from './platforms/windows.js';
import type { AgentState } from './state.js';
import type { AgentEnvironment } from './workflow.js';

/** A platform plan failed: the step is named in the message. */
export class PlanFailedError extends LatchkeyError {
  constructor(what: string, lines: string[]) {
    super('ERR_AGENT_INSTALL', `${what}: ${lines.at(-1) ?? 'a step failed'}`, { status: 500, detail: { lines } });
  }
}

/** Installs `state`'s key and certificates where the browsers look (replacing `previous`'s). */
export async function installCertificate(
  state: AgentState,
  previous: AgentState | null,
  env: AgentEnvironment,
  lines: string[],
): Promise<void> {
  const platform = env.platform ?? 'linux';
  if (platform === 'linux') return installOnLinux(state, env, lines);
  const executor = env.executor ?? systemExecutor;
  const certificate = certificateFacts(state);
  const previousThumbprint = previous ? certificateFacts(previous).thumbprint : undefined;
  const tempDir = await mkdtemp(path.join(os.tmpdir(), 'latchkey-agent-'));
  try {
    const pkcs12Password = randomPkcs12Password();
    const pkcs12 = await buildPkcs12({ ...state, password: pkcs12Password, friendlyName: NSS_NICKNAME });
    const common = { pkcs12, pkcs12Password, tempDir, agentCommand: env.agentCommand ?? [], previousThumbprint };
    let plan: Plan;
    if (platform === 'macos') {
      const home = env.home ?? os.homedir();
      plan = macosInstallPlan(certificate, {
        ...common,
        home,
        uid: env.uid ?? 0,
        keychainExists: existsSync(macosKeychainPath(home)),
        searchList: await macosSearchList(executor),
      });
    } else {
      const elevated = await windowsElevated(executor);
      plan = windowsInstallPlan(certificate, {
        ...common,
        elevated,
        ruleIndex: await windowsRuleIndexes(executor, elevated, certificate.deviceCheckOrigin),
      });
    }
    await runOrThrow(plan, executor, `installing the certificate on ${platform}`, lines);
  } finally {
    await rm(tempDir, { recursive: true, force: true });
  }
}

/** Removes what installCertificate put in place for `state` (null: whatever Latchkey entries exist). */
export async function uninstallCertificate(
  state: AgentState | null,
  env: AgentEnvironment,
  lines: string[],
): Promise<void> {
  const platform = env.platform ?? 'linux';
  if (platform === 'linux') return uninstallOnLinux(env, lines);
  const executor = env.executor ?? systemExecutor;
  if (platform === 'macos') {
    const plan = macosRemovePlan({ home: env.home ?? os.homedir(), uid: env.uid ?? 0 });
    return runOrThrow(plan, executor, 'removing the certificate on macOS', lines);
  }
  if (!state) return;
  const certificate = certificateFacts(state);
  const elevated = await windowsElevated(executor);
  const ruleIndex = await windowsRuleIndexes(executor, elevated, certificate.deviceCheckOrigin);
  await runOrThrow(windowsRemovePlan(certificate, { elevated, ruleIndex }), executor, 'removing on Windows', lines);
}

/** Writes the auto-select policies (Chromium family, Firefox) for `state`; as root where they are under /etc. */
export async function writeBrowserPolicies(state: AgentState, env: AgentEnvironment, lines: string[]): Promise<void> {
  const issuer = parseCertificate(state.certificatePem).issuerName.getField('CN')[0] ?? '';
  for (const directory of env.chromePolicyDirs) {
    await needingRoot(lines, `write the browser policy to ${directory}`, async () => {
      const file = await writeChromePolicy({
        deviceCheckUrl: state.deviceCheckUrl,
        issuerCommonName: issuer,
        directory,
      });
      lines.push(`wrote the Chrome/Chromium certificate auto-select policy to ${file}`);
    });
  }
  const firefoxPolicyDir = env.firefox ? env.firefox.policyDir : false;
  if (firefoxPolicyDir) {
    await needingRoot(lines, `write the Firefox policy to ${firefoxPolicyDir}`, async () => {
      const file = await writeFirefoxPolicy(firefoxPolicyDir);
      lines.push(`set Firefox to select the client certificate automatically in ${file}`);
    });
  }
}

async function installOnLinux(state: AgentState, env: AgentEnvironment, lines: string[]): Promise<void> {
  const material = {
    privateKeyPem: state.privateKeyPem,
    certificatePem: state.certificatePem,
    chainPem: state.chainPem,
  };
  if (env.nss) {
    const installed = await installIntoNss({ ...env.nss, ...material });
    lines.push(`installed "${installed.nickname}" into the NSS database ${installed.dir}`);
  }
  if (env.firefox) {
    for (const profile of await findFirefoxProfiles(env.firefox.profileRoots)) {
      const nss = env.nss ? env.nss : {};
      await installIntoNss({ ...nss, dir: profile, ...material });
      lines.push(`installed "${NSS_NICKNAME}" into the Firefox profile ${profile} (restart Firefox to use it)`);
    }
  }
  await writeBrowserPolicies(state, env, lines);
}

async function uninstallOnLinux(env: AgentEnvironment, lines: string[]): Promise<void> {
  if (env.nss) {
    const removed = await removeLatchkeyFromNss(env.nss);
    lines.push(
      removed.length
        ? `removed ${removed.map((name) => `"${name}"`).join(', ')} from the NSS database`
        : 'nothing to remove from the NSS database',
    );
  }
  if (env.firefox) {
    for (const profile of await findFirefoxProfiles(env.firefox.profileRoots)) {
      const removed = await removeLatchkeyFromNss({ ...(env.nss || {}), dir: profile });
      if (removed.length) lines.push(`removed the device certificate from the Firefox profile ${profile}`);
    }
  }
  for (const directory of env.chromePolicyDirs) {
    await needingRoot(lines, `remove the browser policy in ${directory}`, async () => {
      lines.push(`removed the browser policy ${await removeChromePolicy(directory)}`);
    });
  }
  const firefoxPolicyDir = env.firefox ? env.firefox.policyDir : false;
  if (firefoxPolicyDir) {
    await needingRoot(lines, `remove the Firefox policy in ${firefoxPolicyDir}`, async () => {
      lines.push(`removed Latchkey's setting from ${await removeFirefoxPolicy(firefoxPolicyDir)}`);
    });
  }
}

/** Runs `body`; a permission error becomes a line saying to run `latchkey-agent policy` as root. */
async function needingRoot(lines: string[], what: string, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EACCES' && code !== 'EPERM' && code !== 'EROFS') throw error;
    lines.push(`could not ${what} (needs root): run "latchkey-agent policy" as root, or pass another --policy-dir`);
  }
}

async function runOrThrow(plan: Plan, executor: Executor, what: string, lines: string[]): Promise<void> {
  const outcome = await runPlan(plan, executor);
  lines.push(...outcome.lines);
  if (!outcome.ok) throw new PlanFailedError(what, outcome.lines);
}

/** The user's keychain search list: `security list-keychains -d user` prints one quoted path a line. */
async function macosSearchList(executor: Executor): Promise<string[]> {
  const result = await executor.run('security', ['list-keychains', '-d', 'user']);
  return parseKeychainList(result.code === 0 ? result.stdout : '');
}

export function parseKeychainList(output: string): string[] {
  return output
    .split('\n')
    .map((line) => line.trim().replace(/^"(.*)"$/, '$1'))
    .filter(Boolean);
}

/** Elevated when `net session` works (it needs administrator rights). */
async function windowsElevated(executor: Executor): Promise<boolean> {
  return (await executor.run('net', ['session'])).code === 0;
}

async function windowsRuleIndexes(
  executor: Executor,
  elevated: boolean,
  origin: string,
): Promise<Record<WindowsBrowser, number>> {
  const index = async (browser: WindowsBrowser) => {
    const result = await executor.run('reg', ['query', windowsPolicyKey(browser, elevated)]);
    return registryRuleIndex(result.code === 0 ? result.stdout : '', origin);
  };
  return { chrome: await index('chrome'), edge: await index('edge') };
}
