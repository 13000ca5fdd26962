// The agent's environment from its global flags and the facts of this system (platform, browsers found,
// home, uid, its own command line): which NSS database, which policy directories, which Firefox profiles,
// and the command line a renewal job runs. Pure, so what each flag does is tested without a machine of
// each kind.
import path from 'node:path';
import {
  type BrowserInventory,
  CHROMIUM_FAMILY,
  type ChromiumFamilyBrowser,
  FIREFOX_POLICY_DIR,
  firefoxProfileRoots,
} from './browsers.js';
import type { AgentEnvironment, AgentPlatform } from './workflow.js';

/** The global flags (commander's names). */
export interface AgentOptions {
  stateDir: string;
  nssDir: string;
  nss: boolean;
  /** Given: only this directory; absent: every Chromium-family browser found. */
  policyDir?: string;
  policy: boolean;
  /** Given: this directory; absent: /etc/firefox/policies when Firefox is installed. */
  firefoxPolicyDir?: string;
  firefox: boolean;
}

export interface SystemFacts {
  platform: AgentPlatform;
  browsers: BrowserInventory;
  home: string;
  uid: number;
  /** The Node executable and the agent's script. */
  agentCommand: string[];
}

export function agentEnvironment(options: AgentOptions, system: SystemFacts): AgentEnvironment {
  const linux = system.platform === 'linux';
  // An explicit --policy-dir is the only one; else the browsers given (found ones to write, all to clean).
  const policyDirs = (browsers: readonly ChromiumFamilyBrowser[]) =>
    !linux || !options.policy
      ? []
      : options.policyDir
        ? [options.policyDir]
        : browsers.map((browser) => browser.policyDir);
  const firefoxPolicyDir = options.firefoxPolicyDir ?? (system.browsers.firefox ? FIREFOX_POLICY_DIR : false);
  return {
    stateDir: options.stateDir,
    platform: system.platform,
    nss: linux && options.nss ? { dir: options.nssDir } : false,
    chromePolicyDirs: policyDirs(system.browsers.chromiumFamily),
    chromePolicyDirsToClean: policyDirs(CHROMIUM_FAMILY),
    firefox:
      linux && options.firefox
        ? { profileRoots: firefoxProfileRoots(system.home), policyDir: options.policy ? firefoxPolicyDir : false }
        : false,
    now: () => new Date(),
    home: system.home,
    uid: system.uid,
    agentCommand: [...system.agentCommand, ...globalFlags(options, linux)],
  };
}

/**
 * The global flags as given, with absolute paths: a renewal job runs the agent exactly as enrolled. Off
 * Linux only the state directory matters (and Windows' task command line is short: 261 characters).
 */
function globalFlags(options: AgentOptions, linux: boolean): string[] {
  const flags = ['--state-dir', path.resolve(options.stateDir)];
  if (!linux) return flags;
  if (!options.nss) flags.push('--no-nss');
  else flags.push('--nss-dir', path.resolve(options.nssDir));
  if (!options.policy) flags.push('--no-policy');
  else if (options.policyDir) flags.push('--policy-dir', path.resolve(options.policyDir));
  if (!options.firefox) flags.push('--no-firefox');
  else if (options.firefoxPolicyDir) flags.push('--firefox-policy-dir', path.resolve(options.firefoxPolicyDir));
  return flags;
}

export function agentPlatform(platform: NodeJS.Platform): AgentPlatform {
  return platform === 'darwin' ? 'macos' : platform === 'win32' ? 'windows' : 'linux';
}
