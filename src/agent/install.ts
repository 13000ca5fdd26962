// Where the device certificate goes once the agent holds it, per platform. Linux: the user's NSS database
// (every Chromium-family browser), each Firefox profile's NSS database, the auto-select policy of every
// Chromium-family browser present and Firefox's system policy. macOS and Windows: their plans
// (platforms/), run by the executor. Each function appends what it did to `lines`.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LatchkeyError } from '../errors.js';
import { CHROME_POLICY_FILE, removeChromePolicy, writeChromePolicy } from './chrome-policy.js';
import { findFirefoxProfiles, removeFirefoxPolicy, writeFirefoxPolicy } from './firefox.js';
import { installIntoNss, NssError, NSS_NICKNAME, removeLatchkeyFromNss } from './nss.js';
import { buildPkcs12, randomPkcs12Password } from './pkcs12.js';
import { certificateFacts, stableUuid } from './platforms/facts.js';
import {
  macosInstallPlan,
  macosKeychainPath,
  macosProfilePath,
  macosRemovePlan,
  macosUnlockPlan,
} from './platforms/macos.js';
import { type Executor, type Plan, runPlan, systemExecutor } from './platforms/plan.js';
import {
  registryRemoval,
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
  constructor(what: string, failure: string) {
    super('ERR_AGENT_INSTALL', `${what}: ${failure}`, { status: 500, detail: { failure } });
  }
}

/** What to run after a failed installation: the state holds the certificate, the stores are rebuilt from it. */
const RETRY_HINT = 'the certificate is saved; fix that, then run latchkey-agent install';

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
  const tempDir = await mkdtemp(path.join(os.tmpdir(), 'latchkey-agent-'));
  try {
    const pkcs12Password = randomPkcs12Password();
    const pkcs12 = await buildPkcs12({ ...state, password: pkcs12Password, friendlyName: NSS_NICKNAME });
    const common = { pkcs12, pkcs12Password, tempDir, agentCommand: env.agentCommand ?? [] };
    let plan: Plan;
    if (platform === 'macos') {
      const home = homeOf(env);
      plan = macosInstallPlan(certificate, {
        ...common,
        home,
        uid: env.uid ?? 0,
        keychainExists: existsSync(macosKeychainPath(home)),
        searchList: await macosSearchList(executor),
        renewal: previous !== null,
        profileUuids: {
          profile: stableUuid(`${state.deviceId}:profile`),
          chrome: stableUuid(`${state.deviceId}:chrome`),
          edge: stableUuid(`${state.deviceId}:edge`),
        },
      });
    } else {
      const elevated = await windowsElevated(executor);
      plan = windowsInstallPlan(certificate, {
        ...common,
        elevated,
        ruleIndex: {
          chrome: registryRuleIndex(await registryQuery(executor, 'chrome', elevated), certificate.deviceCheckOrigin),
          edge: registryRuleIndex(await registryQuery(executor, 'edge', elevated), certificate.deviceCheckOrigin),
        },
        ...(previous ? { previousThumbprint: certificateFacts(previous).thumbprint } : {}),
      });
    }
    await runOrThrow(plan, executor, `installing the certificate on ${platform} (${RETRY_HINT})`, lines);
    if (platform === 'macos') {
      lines.push(
        `Chrome and Edge pick the certificate by themselves once the profile ${macosProfilePath(homeOf(env))} ` +
          'is installed: by your MDM, or open it and approve it in System Settings > Privacy & Security > Profiles',
      );
    }
  } finally {
    await rm(tempDir, { recursive: true, force: true });
  }
}

/** The user's home: the environment's, else this process's. */
export function homeOf(env: Pick<AgentEnvironment, 'home'>): string {
  return env.home ?? os.homedir();
}

/** Before a renewal on macOS: the keychain unlocked (launchd runs the renewal at login, after a restart). */
export async function prepareForRenewal(env: AgentEnvironment, lines: string[]): Promise<void> {
  if (env.platform !== 'macos') return;
  const outcome = await runPlan(macosUnlockPlan(homeOf(env)), env.executor ?? systemExecutor);
  lines.push(...outcome.lines);
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
    const plan = macosRemovePlan({ home: homeOf(env), uid: env.uid ?? 0 });
    return runOrThrow(plan, executor, 'removing the certificate on macOS', lines);
  }
  if (!state) return;
  const certificate = certificateFacts(state);
  const elevated = await windowsElevated(executor);
  const removal = {
    chrome: registryRemoval(await registryQuery(executor, 'chrome', elevated), certificate.deviceCheckOrigin),
    edge: registryRemoval(await registryQuery(executor, 'edge', elevated), certificate.deviceCheckOrigin),
  };
  await runOrThrow(windowsRemovePlan(certificate, { elevated, removal }), executor, 'removing on Windows', lines);
}

/** Writes the auto-select policies (Chromium family, Firefox) for `state`; as root where they are under /etc. */
export async function writeBrowserPolicies(state: AgentState, env: AgentEnvironment, lines: string[]): Promise<void> {
  const { issuerCommonName } = certificateFacts(state);
  for (const directory of env.chromePolicyDirs) {
    await needingRoot(lines, `write the browser policy to ${directory}`, '--policy-dir', async () => {
      const file = await writeChromePolicy({ deviceCheckUrl: state.deviceCheckUrl, issuerCommonName, directory });
      lines.push(`wrote the Chrome/Chromium certificate auto-select policy to ${file}`);
    });
  }
  const firefoxPolicyDir = env.firefox ? env.firefox.policyDir : false;
  if (firefoxPolicyDir) {
    await needingRoot(lines, `write the Firefox policy to ${firefoxPolicyDir}`, '--firefox-policy-dir', async () => {
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
      // One profile that cannot take it (a primary password, a damaged database) does not stop the others.
      try {
        await installIntoNss({ ...(env.nss || {}), dir: profile, ...material });
        lines.push(`installed "${NSS_NICKNAME}" into the Firefox profile ${profile} (restart Firefox to use it)`);
      } catch (error) {
        if (!(error instanceof NssError)) throw error;
        lines.push(`could not install into the Firefox profile ${profile}: ${error.message}`);
      }
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
  // Every directory the agent may have written, also for a browser uninstalled since.
  for (const directory of env.chromePolicyDirsToClean ?? env.chromePolicyDirs) {
    if (!existsSync(path.join(directory, CHROME_POLICY_FILE))) continue;
    await needingRoot(lines, `remove the browser policy in ${directory}`, '--policy-dir', async () => {
      lines.push(`removed the browser policy ${await removeChromePolicy(directory)}`);
    });
  }
  const firefoxPolicyDir = env.firefox ? env.firefox.policyDir : false;
  if (firefoxPolicyDir) {
    await needingRoot(lines, `remove the Firefox policy in ${firefoxPolicyDir}`, '--firefox-policy-dir', async () => {
      lines.push(`removed Latchkey's setting from ${await removeFirefoxPolicy(firefoxPolicyDir)}`);
    });
  }
}

/** Runs `body`; a permission error becomes a line saying to run `latchkey-agent policy` as root. */
async function needingRoot(lines: string[], what: string, flag: string, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EACCES' && code !== 'EPERM' && code !== 'EROFS') throw error;
    lines.push(`could not ${what} (needs root): run "latchkey-agent policy" as root, or pass another ${flag}`);
  }
}

async function runOrThrow(plan: Plan, executor: Executor, what: string, lines: string[]): Promise<void> {
  const outcome = await runPlan(plan, executor);
  lines.push(...outcome.lines);
  if (!outcome.ok) throw new PlanFailedError(what, outcome.failure!);
}

/** The user's keychain search list: `security list-keychains -d user` prints one quoted path a line. */
async function macosSearchList(executor: Executor): Promise<string[]> {
  const result = await executor.run('security', ['list-keychains', '-d', 'user']);
  const list = result.code === 0 ? parseKeychainList(result.stdout) : [];
  // Setting the list from an empty reading would drop login.keychain from it.
  if (!list.length) {
    throw new PlanFailedError(
      'installing the certificate on macOS',
      `cannot read the keychain search list (security list-keychains: ${result.stderr.trim() || 'empty'})`,
    );
  }
  return list;
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

/** `reg query` of a browser's auto-select list ('' when the key does not exist). */
async function registryQuery(executor: Executor, browser: WindowsBrowser, elevated: boolean): Promise<string> {
  const result = await executor.run('reg', ['query', windowsPolicyKey(browser, elevated)]);
  return result.code === 0 ? result.stdout : '';
}
