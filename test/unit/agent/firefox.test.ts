// Firefox's profile list and system policy file as the agent reads and changes them: profiles.ini with
// relative and absolute paths, the policy merged into an administrator's file and taken out again without
// touching anything else, and a damaged file refused rather than replaced.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import {
  findFirefoxProfiles,
  parseProfilesIni,
  readFirefoxPolicies,
  removeFirefoxPolicy,
  selectsAutomatically,
  withAutomaticCertificateSelection,
  withoutAutomaticCertificateSelection,
  writeFirefoxPolicy,
} from '../../../src/agent/firefox.js';
import { detectBrowsers } from '../../../src/agent/browsers.js';
import { tempDir } from '../trust/fixtures.js';

const INI = `[Install4F96D1932A9F858E]
Default=abcd.default-release
Locked=1

[Profile1]
Name=work
IsRelative=0
Path=/data/firefox/work

[Profile0]
Name=default-release
IsRelative=1
Path=abcd.default-release
Default=1

[General]
StartWithLastProfile=1
Version=2
`;

describe('Firefox profiles', () => {
  it('reads every [Profile] of profiles.ini, relative paths from its directory', () => {
    expect(parseProfilesIni(INI, '/home/a/.mozilla/firefox')).toEqual([
      '/data/firefox/work',
      '/home/a/.mozilla/firefox/abcd.default-release',
    ]);
    expect(parseProfilesIni('[General]\nVersion=2\n', '/x')).toEqual([]);
  });

  it('finds the profiles that exist under each root, skipping roots without profiles.ini', async () => {
    const home = tempDir('latchkey-firefox-');
    const root = path.join(home, '.mozilla', 'firefox');
    mkdirSync(path.join(root, 'abcd.default-release'), { recursive: true });
    writeFileSync(path.join(root, 'profiles.ini'), INI);
    expect(await findFirefoxProfiles([root, path.join(home, 'snap')])).toEqual([
      path.join(root, 'abcd.default-release'),
    ]);
  });

  it('detects browsers by their executables', () => {
    const present = new Set(['/usr/bin/chromium', '/opt/google/chrome/chrome', '/usr/bin/firefox-esr']);
    const found = detectBrowsers((file) => present.has(file));
    expect(found.chromiumFamily.map((browser) => [browser.name, browser.policyDir])).toEqual([
      ['Chromium', '/etc/chromium/policies/managed'],
      ['Google Chrome', '/etc/opt/chrome/policies/managed'],
    ]);
    expect(found.firefox).toBe(true);
    expect(detectBrowsers(() => false)).toEqual({ chromiumFamily: [], firefox: false });
  });
});

describe('Firefox system policy', () => {
  const admin = { policies: { DisableTelemetry: true, Preferences: { 'browser.startup.page': 1 } }, comment: 'ours' };

  it("adds the selection to an administrator's policies and takes only it out again", () => {
    const added = withAutomaticCertificateSelection(admin);
    expect(selectsAutomatically(added)).toBe(true);
    expect(added).toEqual({
      comment: 'ours',
      policies: {
        DisableTelemetry: true,
        Preferences: {
          'browser.startup.page': 1,
          'security.default_personal_cert': { Value: 'Select Automatically', Status: 'default' },
        },
      },
    });
    expect(withoutAutomaticCertificateSelection(added)).toEqual(admin);
    expect(withoutAutomaticCertificateSelection(withAutomaticCertificateSelection({}))).toBeNull();
  });

  it('leaves a value the administrator chose for the preference', () => {
    const theirs = { policies: { Preferences: { 'security.default_personal_cert': { Value: 'Ask Every Time' } } } };
    expect(withoutAutomaticCertificateSelection(theirs)).toEqual(theirs);
    expect(selectsAutomatically(theirs)).toBe(false);
  });

  it('creates, merges and deletes the file; a damaged file is refused and left as it was', async () => {
    const dir = path.join(tempDir('latchkey-ffpol-'), 'policies');
    const file = await writeFirefoxPolicy(dir);
    expect(selectsAutomatically(JSON.parse(readFileSync(file, 'utf8')))).toBe(true);
    await removeFirefoxPolicy(dir);
    expect(await readFirefoxPolicies(dir)).toEqual({});
    for (const damaged of ['{not json', '[]', '{"policies": []}']) {
      writeFileSync(file, damaged);
      await expect(writeFirefoxPolicy(dir)).rejects.toThrow(`${file} is not a Firefox policy file`);
      expect(readFileSync(file, 'utf8')).toBe(damaged);
    }
  });
});
