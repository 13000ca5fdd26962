// Which browsers a Linux device has, and where each one looks for what the agent installs. Every
// Chromium-family browser on Linux reads client certificates from the user's NSS database (~/.pki/nssdb)
// and its managed policies from its own directory under /etc; Firefox reads certificates from each
// profile's own NSS database and system policies from /etc/firefox/policies/policies.json (Debian's
// firefox-esr too: it does not read /etc/firefox-esr/policies, tried with 153 ESR).
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { DEFAULT_CHROME_POLICY_DIR } from './chrome-policy.js';

export interface ChromiumFamilyBrowser {
  name: string;
  /** Any of these executables present means the browser is installed. */
  executables: readonly string[];
  /** Its managed-policy directory (JSON files, read at start-up). */
  policyDir: string;
}

/** The Chromium-family browsers the agent writes the auto-select policy for, when present. */
export const CHROMIUM_FAMILY: readonly ChromiumFamilyBrowser[] = [
  {
    name: 'Chromium',
    executables: ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/lib/chromium/chromium'],
    policyDir: DEFAULT_CHROME_POLICY_DIR,
  },
  {
    name: 'Google Chrome',
    executables: ['/opt/google/chrome/chrome', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'],
    policyDir: '/etc/opt/chrome/policies/managed',
  },
  {
    name: 'Microsoft Edge',
    executables: ['/opt/microsoft/msedge/msedge', '/usr/bin/microsoft-edge', '/usr/bin/microsoft-edge-stable'],
    policyDir: '/etc/opt/edge/policies/managed',
  },
];

/** Firefox builds that read /etc/firefox/policies (upstream, Debian's firefox-esr, Ubuntu's snap). */
export const FIREFOX_EXECUTABLES: readonly string[] = [
  '/usr/bin/firefox',
  '/usr/bin/firefox-esr',
  '/usr/lib/firefox/firefox',
  '/usr/lib/firefox-esr/firefox-esr',
  '/snap/bin/firefox',
];
export const FIREFOX_POLICY_DIR = '/etc/firefox/policies';

/** What is installed: the Chromium-family browsers found, and whether Firefox is. */
export interface BrowserInventory {
  chromiumFamily: ChromiumFamilyBrowser[];
  firefox: boolean;
}

/** The browsers present, judged by their executables; `exists` is replaceable for tests. */
export function detectBrowsers(exists: (file: string) => boolean = isExecutable): BrowserInventory {
  return {
    chromiumFamily: CHROMIUM_FAMILY.filter((browser) => browser.executables.some(exists)),
    firefox: FIREFOX_EXECUTABLES.some(exists),
  };
}

/** Where Firefox keeps its profiles under `home`: the classic, Snap and Flatpak locations. */
export function firefoxProfileRoots(home: string): string[] {
  return [
    path.join(home, '.mozilla', 'firefox'),
    path.join(home, 'snap', 'firefox', 'common', '.mozilla', 'firefox'),
    path.join(home, '.var', 'app', 'org.mozilla.firefox', '.mozilla', 'firefox'),
  ];
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
