// macOS: the device key and chain go into a keychain of their own (so `remove` deletes exactly them, and a
// renewal rebuilds it whole), kept in the user's search list; an identity preference names the device
// certificate for the device-check origin (Safari); launchd runs `renew --check` daily and at login, which
// also unlocks the keychain after a restart. Chrome and Edge read AutoSelectCertificateForUrls on macOS only
// as a managed policy (a configuration profile; a `defaults write` value is a recommendation, which this
// policy cannot be), so the agent writes the profile for the user or the MDM to install. Firefox reads the
// keychain by itself (security.osclientcerts.autoload, on by default) and asks once which certificate.
// Built as a plan (plan.ts): this machine cannot run `security`, so the exact commands are unit-tested.
import path from 'node:path';
import type { CertificateFacts } from './facts.js';
import { command, optional, type Plan, type Step } from './plan.js';

export const MACOS_KEYCHAIN = 'latchkey-device-trust.keychain-db';
export const MACOS_LAUNCH_AGENT = 'com.latchkey.agent.renew';
/** Team identifiers of Google Chrome and Microsoft Edge: their code may use the key without a prompt. */
const BROWSER_TEAM_IDS = ['EQHXZ8M8AV', 'UBF8T346G9'];
export const MACOS_PROFILE = 'latchkey-browsers.mobileconfig';

export interface MacosFacts {
  home: string;
  uid: number;
  /** The keychain exists already (an earlier enrollment): it is rebuilt. */
  keychainExists: boolean;
  /** `security list-keychains -d user` as it is now (paths; never empty: login.keychain is in it). */
  searchList: string[];
  /** PKCS#12 of key and chain, and its one-time password. */
  pkcs12: Uint8Array;
  pkcs12Password: string;
  /** Where the plan may put the PKCS#12 for the moment of the import. */
  tempDir: string;
  /** The agent's own command line (executable and global flags) for the launch agent. */
  agentCommand: string[];
  /** A renewal: the launch agent is running this very process and is left alone. */
  renewal: boolean;
  /** PayloadUUIDs of the configuration profile (stable per device, so reinstalling replaces it). */
  profileUuids: { profile: string; chrome: string; edge: string };
}

export function macosKeychainPath(home: string): string {
  return path.join(home, 'Library', 'Keychains', MACOS_KEYCHAIN);
}

export function macosLaunchAgentPath(home: string): string {
  return path.join(home, 'Library', 'LaunchAgents', `${MACOS_LAUNCH_AGENT}.plist`);
}

export function macosProfilePath(home: string): string {
  return path.join(home, 'Library', 'Application Support', 'Latchkey', MACOS_PROFILE);
}

/** Enroll and renew: rebuild the keychain with the new identity; on enroll also the launch agent. */
export function macosInstallPlan(certificate: CertificateFacts, facts: MacosFacts): Plan {
  const keychain = macosKeychainPath(facts.home);
  const p12 = path.join(facts.tempDir, 'device.p12');
  const plist = macosLaunchAgentPath(facts.home);
  const others = facts.searchList.filter((entry) => entry !== keychain);
  const steps: Step[] = [];
  if (facts.keychainExists) {
    steps.push(command('security', ['delete-keychain', keychain], 'remove the previous Latchkey keychain'));
  }
  steps.push(
    command('security', ['create-keychain', '-p', '', keychain], 'create the Latchkey keychain'),
    command('security', ['set-keychain-settings', keychain], 'keep the Latchkey keychain unlocked (no timeout)'),
    command('security', ['unlock-keychain', '-p', '', keychain], 'unlock the Latchkey keychain'),
    command(
      'security',
      ['list-keychains', '-d', 'user', '-s', ...others, keychain],
      'add the Latchkey keychain to the search list, keeping the others',
    ),
    { kind: 'write', path: p12, contents: facts.pkcs12, mode: 0o600, why: 'stage the key and chain for import' },
    {
      kind: 'run',
      command: 'security',
      args: ['import', p12, '-k', keychain, '-f', 'pkcs12', '-x', '-P', facts.pkcs12Password],
      secretArgs: [8],
      why: 'import the device key (not exportable) and certificates',
    },
    command(
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
    command(
      'security',
      ['set-identity-preference', '-Z', certificate.thumbprint, '-s', `${certificate.deviceCheckOrigin}/`, keychain],
      'prefer the device certificate on the device-check origin',
    ),
    {
      kind: 'write',
      path: macosProfilePath(facts.home),
      contents: browserProfile(certificate, facts.profileUuids),
      mode: 0o644,
      why: 'the Chrome and Edge auto-select profile, for the user or the MDM to install',
    },
  );
  if (!facts.renewal) {
    steps.push(
      { kind: 'write', path: plist, contents: launchAgentPlist(facts.agentCommand), mode: 0o644, why: 'daily renewal' },
      optional('launchctl', ['bootout', `gui/${facts.uid}`, plist], 'unload an earlier renewal agent'),
      command('launchctl', ['bootstrap', `gui/${facts.uid}`, plist], 'load the daily renewal agent'),
    );
  }
  return { steps, cleanup: [{ kind: 'delete', path: p12, why: 'delete the staged key' }] };
}

/**
 * Remove: the keychain (key and certificates with it), the profile file and the launch agent. The launch
 * agent goes last: when launchd runs this very process (distribution switched off during a renewal),
 * unloading it ends the process, and everything else must be done by then.
 */
export function macosRemovePlan(facts: Pick<MacosFacts, 'home' | 'uid'>): Plan {
  const plist = macosLaunchAgentPath(facts.home);
  return {
    steps: [
      optional('security', ['delete-keychain', macosKeychainPath(facts.home)], 'delete the Latchkey keychain'),
      { kind: 'delete', path: macosProfilePath(facts.home), why: 'delete the auto-select profile file' },
      { kind: 'delete', path: plist, why: 'delete the renewal agent' },
      optional('launchctl', ['bootout', `gui/${facts.uid}`, plist], 'unload the renewal agent'),
    ],
    cleanup: [],
  };
}

/** At the start of a renewal (launchd runs it at login too): the keychain is unlocked for the browsers. */
export function macosUnlockPlan(home: string): Plan {
  return {
    steps: [
      optional('security', ['unlock-keychain', '-p', '', macosKeychainPath(home)], 'unlock the Latchkey keychain'),
    ],
    cleanup: [],
  };
}

/**
 * A configuration profile setting AutoSelectCertificateForUrls for Chrome and Edge as managed policies:
 * the only form in which they honour it on macOS.
 */
export function browserProfile(certificate: CertificateFacts, uuids: MacosFacts['profileUuids']): string {
  const payload = (domain: string, uuid: string) => `    <dict>
      <key>PayloadType</key>
      <string>${domain}</string>
      <key>PayloadIdentifier</key>
      <string>com.latchkey.device-trust.${domain}</string>
      <key>PayloadUUID</key>
      <string>${uuid}</string>
      <key>PayloadVersion</key>
      <integer>1</integer>
      <key>AutoSelectCertificateForUrls</key>
      <array>
        <string>${xml(certificate.autoSelectRule)}</string>
      </array>
    </dict>`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>PayloadType</key>
  <string>Configuration</string>
  <key>PayloadDisplayName</key>
  <string>Latchkey device certificate selection</string>
  <key>PayloadIdentifier</key>
  <string>com.latchkey.device-trust</string>
  <key>PayloadUUID</key>
  <string>${uuids.profile}</string>
  <key>PayloadVersion</key>
  <integer>1</integer>
  <key>PayloadScope</key>
  <string>User</string>
  <key>PayloadContent</key>
  <array>
${payload('com.google.Chrome', uuids.chrome)}
${payload('com.microsoft.Edge', uuids.edge)}
  </array>
</dict>
</plist>
`;
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

function xml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}
