// The Chrome/Chromium managed policy that makes the browser pick the device certificate by itself on the
// device-check origin (without it Chromium shows a picker, and headless Chromium hangs). The filter names
// the leaf's immediate issuer, our intermediate, by CN: the form that works (PITFALLS.md).
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { InvalidInputError } from '../errors.js';
import { writeFileAtomic } from './state.js';

/** Where Debian's Chromium reads managed policies (every family member's directory: browsers.ts). */
export const DEFAULT_CHROME_POLICY_DIR = '/etc/chromium/policies/managed';
export const CHROME_POLICY_FILE = 'latchkey-device-trust.json';

export interface ChromePolicy {
  AutoSelectCertificateForUrls: string[];
}

/** The policy object: auto-select a certificate issued by `issuerCommonName` on `deviceCheckUrl`'s origin. */
export function autoSelectCertificatePolicy(deviceCheckUrl: string, issuerCommonName: string): ChromePolicy {
  const rule = { pattern: origin(deviceCheckUrl), filter: { ISSUER: { CN: issuerCommonName } } };
  return { AutoSelectCertificateForUrls: [JSON.stringify(rule)] };
}

export interface WriteChromePolicyInput {
  deviceCheckUrl: string;
  issuerCommonName: string;
  /** Policy directory (default /etc/chromium/policies/managed). */
  directory?: string;
  /** File name (default latchkey-device-trust.json). */
  fileName?: string;
}

/**
 * Writes the policy file (mode 0644: the browser runs as the user, the directory is usually root's) and
 * returns its path. Writing under /etc needs root: the caller reports EACCES with that hint.
 */
export async function writeChromePolicy(input: WriteChromePolicyInput): Promise<string> {
  const directory = input.directory ?? DEFAULT_CHROME_POLICY_DIR;
  const file = path.join(directory, input.fileName ?? CHROME_POLICY_FILE);
  await mkdir(directory, { recursive: true, mode: 0o755 });
  const policy = autoSelectCertificatePolicy(input.deviceCheckUrl, input.issuerCommonName);
  await writeFileAtomic(file, `${JSON.stringify(policy, null, 2)}\n`, 0o644);
  return file;
}

/** Deletes the policy file if present; returns its path. */
export async function removeChromePolicy(
  directory = DEFAULT_CHROME_POLICY_DIR,
  fileName = CHROME_POLICY_FILE,
): Promise<string> {
  const file = path.join(directory, fileName);
  await rm(file, { force: true });
  return file;
}

function origin(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidInputError('ERR_AGENT_DEVICE_CHECK_URL', `the device-check URL ${url} is not a URL`);
  }
  if (parsed.protocol !== 'https:') {
    throw new InvalidInputError('ERR_AGENT_DEVICE_CHECK_URL', 'the device-check URL must use https');
  }
  return parsed.origin;
}
