// What the agent's global flags do on each kind of system: the policy directories of the browsers found
// (Google Chrome and Edge get the same file as Chromium), an explicit --policy-dir alone, Firefox's system
// policy only where Firefox is, nothing of Linux's on macOS and Windows, and the renewal job's command line.
import { describe, expect, it } from '@jest/globals';
import { CHROMIUM_FAMILY, detectBrowsers, FIREFOX_POLICY_DIR } from '../../../src/agent/browsers.js';
import { agentEnvironment, type AgentOptions, type SystemFacts } from '../../../src/agent/environment.js';

const options: AgentOptions = {
  stateDir: '/home/a/state',
  nssDir: '/home/a/.pki/nssdb',
  nss: true,
  policy: true,
  firefox: true,
};
const linux = (present: string[]): SystemFacts => ({
  platform: 'linux',
  browsers: detectBrowsers((file) => present.includes(file)),
  home: '/home/a',
  uid: 1000,
  agentCommand: ['/usr/bin/node', '/opt/latchkey/bin/latchkey-agent.js'],
});
const ALL = ['/usr/bin/chromium', '/opt/google/chrome/chrome', '/opt/microsoft/msedge/msedge', '/usr/bin/firefox'];

describe('agent environment', () => {
  it('writes the policy for every Chromium-family browser found, and Firefox’s system policy', () => {
    const env = agentEnvironment(options, linux(ALL));
    expect(env.chromePolicyDirs).toEqual(CHROMIUM_FAMILY.map((browser) => browser.policyDir));
    expect(env.chromePolicyDirs).toEqual([
      '/etc/chromium/policies/managed',
      '/etc/opt/chrome/policies/managed',
      '/etc/opt/edge/policies/managed',
    ]);
    expect(env.firefox).toEqual({
      profileRoots: [
        '/home/a/.mozilla/firefox',
        '/home/a/snap/firefox/common/.mozilla/firefox',
        '/home/a/.var/app/org.mozilla.firefox/.mozilla/firefox',
      ],
      policyDir: FIREFOX_POLICY_DIR,
    });
    expect(env.nss).toEqual({ dir: '/home/a/.pki/nssdb' });
  });

  it('only Google Chrome present: only its directory; no Firefox: no Firefox policy', () => {
    const env = agentEnvironment(options, linux(['/usr/bin/google-chrome-stable']));
    expect(env.chromePolicyDirs).toEqual(['/etc/opt/chrome/policies/managed']);
    // remove still cleans every family member's directory: a browser uninstalled since keeps no policy.
    expect(env.chromePolicyDirsToClean).toEqual(CHROMIUM_FAMILY.map((browser) => browser.policyDir));
    expect(env.firefox).toMatchObject({ policyDir: false });
  });

  it('an explicit --policy-dir is the only one; --no-policy writes none; --no-firefox leaves Firefox alone', () => {
    const explicit = agentEnvironment({ ...options, policyDir: '/tmp/p' }, linux(ALL));
    expect([explicit.chromePolicyDirs, explicit.chromePolicyDirsToClean]).toEqual([['/tmp/p'], ['/tmp/p']]);
    const none = agentEnvironment({ ...options, policy: false }, linux(ALL));
    expect(none.chromePolicyDirs).toEqual([]);
    expect(none.firefox).toMatchObject({ policyDir: false });
    expect(agentEnvironment({ ...options, firefox: false }, linux(ALL)).firefox).toBe(false);
  });

  it('on macOS and Windows: no NSS, no Linux policy files, the plans do the rest', () => {
    for (const platform of ['macos', 'windows'] as const) {
      const env = agentEnvironment(options, { ...linux(ALL), platform });
      expect(env).toMatchObject({ platform, nss: false, chromePolicyDirs: [], firefox: false });
    }
  });

  it('gives a macOS or Windows renewal job only the state directory (schtasks takes 261 characters)', () => {
    const env = agentEnvironment(options, { ...linux(ALL), platform: 'windows' });
    expect(env.agentCommand).toEqual([
      '/usr/bin/node',
      '/opt/latchkey/bin/latchkey-agent.js',
      '--state-dir',
      '/home/a/state',
    ]);
  });

  it('gives renewal jobs the agent with the same flags, paths absolute', () => {
    const env = agentEnvironment({ ...options, stateDir: 'rel/state', firefoxPolicyDir: '/tmp/ff' }, linux(ALL));
    expect(env.agentCommand).toEqual([
      '/usr/bin/node',
      '/opt/latchkey/bin/latchkey-agent.js',
      '--state-dir',
      `${process.cwd()}/rel/state`,
      '--nss-dir',
      '/home/a/.pki/nssdb',
      '--firefox-policy-dir',
      '/tmp/ff',
    ]);
  });
});
