// macOS: the device key and chain go into a keychain of their own (so `remove` deletes exactly them),
// added to the user's search list; an identity preference names the device certificate for the
// device-check origin (Safari, and Chrome when no policy applies); Chrome and Edge get the
// AutoSelectCertificateForUrls preference; launchd runs `renew --check` daily. Firefox on macOS reads the
// keychain by itself (security.osclientcerts.autoload, on by default) and asks once which certificate.
// Built as a plan (plan.ts): this machine cannot run `security`, so the exact commands are unit-tested.
import path from 'node:path';
import type { CertificateFacts } from './facts.js';
import type { Plan, Step } from './plan.js';

export const MACOS_KEYCHAIN = 'latchkey-device-trust.keychain-db';
export const MACOS_LAUNCH_AGENT = 'com.latchkey.agent.renew';
/** Team identifiers of Google Chrome and Microsoft Edge: their code may use the key without a prompt. */
const BROWSER_TEAM_IDS = ['EQHXZ8M8AV', 'UBF8T346G9'];
const BROWSER_DOMAINS = ['com.google.Chrome', 'com.microsoft.Edge'];

export interface MacosFacts {
  home: string;
  uid: number;
  /** The keychain exists already (an earlier enrollment). */
  keychainExists: boolean;
  /** `security list-keychains -d user` as it is now (paths). */
  searchList: string[];
  /** PKCS#12 of key and chain, and its one-time password. */
  pkcs12: Uint8Array;
  pkcs12Password: string;
  /** Where the plan may put the PKCS#12 for the moment of the import. */
  tempDir: string;
  /** The agent's own command line (executable and global flags) for the launch agent. */
  agentCommand: string[];
  /** The certificate being replaced, on renewal. */
  previousThumbprint?: string;
}

export function macosKeychainPath(home: string): string {
  return path.join(home, 'Library', 'Keychains', MACOS_KEYCHAIN);
}

export function macosLaunchAgentPath(home: string): string {
  return path.join(home, 'Library', 'LaunchAgents', `${MACOS_LAUNCH_AGENT}.plist`);
}

/** Enroll and renew: import the identity and (re)apply preferences, policies and the launch agent. */
export function macosInstallPlan(certificate: CertificateFacts, facts: MacosFacts): Plan {
  const keychain = macosKeychainPath(facts.home);
  const p12 = path.join(facts.tempDir, 'device.p12');
  const plist = macosLaunchAgentPath(facts.home);
  const domain = `gui/${facts.uid}`;
  const steps: Step[] = [];
  if (!facts.keychainExists) {
    steps.push(run('security', ['create-keychain', '-p', '', keychain], 'create the Latchkey keychain'));
  }
  steps.push(
    run('security', ['set-keychain-settings', keychain], 'keep the Latchkey keychain unlocked (no timeout)'),
    run('security', ['unlock-keychain', '-p', '', keychain], 'unlock the Latchkey keychain'),
  );
  if (!facts.searchList.includes(keychain)) {
    steps.push(
      run(
        'security',
        ['list-keychains', '-d', 'user', '-s', ...facts.searchList, keychain],
        'add the Latchkey keychain to the search list, keeping the others',
      ),
    );
  }
  if (facts.previousThumbprint) {
    steps.push({
      ...run(
        'security',
        ['delete-identity', '-Z', facts.previousThumbprint, keychain],
        'remove the previous certificate',
      ),
      mayFail: true,
    });
  }
  steps.push(
    { kind: 'write', path: p12, contents: facts.pkcs12, mode: 0o600, why: 'stage the key and chain for import' },
    {
      kind: 'run',
      command: 'security',
      args: ['import', p12, '-k', keychain, '-f', 'pkcs12', '-x', '-P', facts.pkcs12Password],
      secretArgs: [8],
      why: 'import the device key (not exportable) and certificates',
    },
    run(
      'security',
      [
        'set-key-partition-list',
        '-S',
        ['apple-tool:', 'apple:', ...BROWSER_TEAM_IDS.map((id) => `teamid:${id}`)].join(','),
        '-s',
        '-k',
        '',
        keychain,
      ],
      'let Safari, Chrome and Edge use the key without a prompt',
    ),
    run(
      'security',
      ['set-identity-preference', '-Z', certificate.thumbprint, '-s', `${certificate.deviceCheckOrigin}/`, keychain],
      'prefer the device certificate on the device-check origin',
    ),
    ...BROWSER_DOMAINS.map((browser) =>
      run(
        'defaults',
        ['write', browser, 'AutoSelectCertificateForUrls', '-array', certificate.autoSelectRule],
        `let ${browser} pick the device certificate by itself`,
      ),
    ),
    { kind: 'write', path: plist, contents: launchAgentPlist(facts.agentCommand), mode: 0o644, why: 'daily renewal' },
    { ...run('launchctl', ['bootout', domain, plist], 'unload an earlier renewal agent'), mayFail: true },
    run('launchctl', ['bootstrap', domain, plist], 'load the daily renewal agent'),
  );
  return { steps, cleanup: [{ kind: 'delete', path: p12, why: 'delete the staged key' }] };
}

/** Remove: the keychain (key and certificates with it), the browser preferences and the launch agent. */
export function macosRemovePlan(facts: Pick<MacosFacts, 'home' | 'uid'>): Plan {
  const plist = macosLaunchAgentPath(facts.home);
  return {
    steps: [
      {
        ...run('security', ['delete-keychain', macosKeychainPath(facts.home)], 'delete the Latchkey keychain'),
        mayFail: true,
      },
      ...BROWSER_DOMAINS.map((browser) => ({
        ...run('defaults', ['delete', browser, 'AutoSelectCertificateForUrls'], `remove ${browser}'s auto-select`),
        mayFail: true,
      })),
      { ...run('launchctl', ['bootout', `gui/${facts.uid}`, plist], 'unload the renewal agent'), mayFail: true },
      { kind: 'delete', path: plist, why: 'delete the renewal agent' },
    ],
    cleanup: [],
  };
}

/** The launchd agent: `renew --check` at 10:00 every day (launchd runs a missed job after wake-up). */
export function launchAgentPlist(agentCommand: readonly string[]): string {
  const args = [...agentCommand, 'renew', '--check'].map((arg) => `    <string>${xml(arg)}</string>`).join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>Label</key>
  <string>${MACOS_LAUNCH_AGENT}</string>
  <key>ProgramArguments</key>
  <array>
${args}
  </array>
  <key>StartCalendarInterval</key>
  <dict>
    <key>Hour</key>
    <integer>10</integer>
    <key>Minute</key>
    <integer>0</integer>
  </dict>
  <key>RunAtLoad</key>
  <true/>
</dict>
</plist>
`;
}

function run(command: string, args: string[], why: string): Extract<Step, { kind: 'run' }> {
  return { kind: 'run', command, args, why };
}

function xml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}
