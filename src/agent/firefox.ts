// Firefox on Linux: the device certificate goes into each profile's own NSS database (Firefox does not
// read ~/.pki/nssdb), and a system policy makes Firefox pick a client certificate without asking.
//
// What Firefox's enterprise policies can and cannot do here (checked against Firefox 153 ESR): no policy
// installs a client certificate with its key (Certificates.Install takes CA certificates only), and
// SecurityDevices loads a PKCS#11 module by path without parameters, so it cannot open the user's NSS
// database; hence the per-profile import. Nor is there a per-site selection rule like Chromium's
// AutoSelectCertificateForUrls: the only lever is the preference security.default_personal_cert =
// "Select Automatically", which the Preferences policy allows, and which applies to every site that asks
// for a client certificate. Firefox then offers a certificate whose issuer is among the CAs the server
// names; a server that names none may receive the device certificate too (docs/device-trust.md says so).
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { InvalidInputError } from '../errors.js';
import { writeFileAtomic } from './state.js';

export const FIREFOX_POLICY_FILE = 'policies.json';
export const PERSONAL_CERT_PREFERENCE = 'security.default_personal_cert';
export const SELECT_AUTOMATICALLY = 'Select Automatically';

type Json = Record<string, unknown>;

/**
 * The profile directories a profiles.ini names (relative paths resolved against `root`, the directory
 * holding profiles.ini), in file order, without duplicates.
 */
export function parseProfilesIni(text: string, root: string): string[] {
  const profiles: string[] = [];
  let section: { path?: string; relative: boolean } | null = null;
  const flush = () => {
    if (section?.path) {
      const dir = section.relative ? path.join(root, section.path) : section.path;
      if (!profiles.includes(dir)) profiles.push(dir);
    }
  };
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith('[')) {
      flush();
      // [ProfileN] sections name every profile ([Install…] only repeats the default one).
      section = /^\[Profile[^\]]*\]$/i.test(line) ? { relative: true } : null;
      continue;
    }
    if (!section) continue;
    const equals = line.indexOf('=');
    if (equals < 0) continue;
    const key = line.slice(0, equals).trim();
    const value = line.slice(equals + 1).trim();
    if (key === 'Path') section.path = value;
    else if (key === 'IsRelative') section.relative = value !== '0';
  }
  flush();
  return profiles;
}

/** The Firefox profile directories that exist under `roots` (each a directory holding profiles.ini). */
export async function findFirefoxProfiles(roots: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  for (const root of roots) {
    let text: string;
    try {
      text = await readFile(path.join(root, 'profiles.ini'), 'utf8');
    } catch {
      continue;
    }
    for (const dir of parseProfilesIni(text, root)) {
      if (existsSync(dir) && !found.includes(dir)) found.push(dir);
    }
  }
  return found;
}

/** `policies` with the automatic client-certificate selection added; every other policy kept as it was. */
export function withAutomaticCertificateSelection(policies: Json): Json {
  const inner = objectAt(policies, 'policies');
  const preferences = objectAt(inner, 'Preferences');
  return {
    ...policies,
    policies: {
      ...inner,
      Preferences: { ...preferences, [PERSONAL_CERT_PREFERENCE]: { Value: SELECT_AUTOMATICALLY, Status: 'default' } },
    },
  };
}

/**
 * `policies` without the selection the agent added (a value somebody else set is left alone); null when
 * nothing is left, so the caller deletes the file the agent created.
 */
export function withoutAutomaticCertificateSelection(policies: Json): Json | null {
  const inner = objectAt(policies, 'policies');
  const preferences = { ...objectAt(inner, 'Preferences') };
  const ours = preferences[PERSONAL_CERT_PREFERENCE] as { Value?: unknown } | undefined;
  if (ours?.Value === SELECT_AUTOMATICALLY) delete preferences[PERSONAL_CERT_PREFERENCE];
  const { Preferences: _dropped, ...others } = inner;
  const nextInner = Object.keys(preferences).length ? { ...others, Preferences: preferences } : others;
  const { policies: _old, ...outer } = policies;
  if (!Object.keys(nextInner).length && !Object.keys(outer).length) return null;
  return { ...outer, policies: nextInner };
}

/** Whether `policies` makes Firefox select client certificates automatically. */
export function selectsAutomatically(policies: Json): boolean {
  const preference = objectAt(objectAt(objectAt(policies, 'policies'), 'Preferences'), PERSONAL_CERT_PREFERENCE);
  return preference.Value === SELECT_AUTOMATICALLY;
}

/** Reads policies.json in `dir` ({} when absent); a file that is not a JSON object is refused, not replaced. */
export async function readFirefoxPolicies(dir: string): Promise<Json> {
  const file = path.join(dir, FIREFOX_POLICY_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = null;
  }
  if (!isObject(value) || ('policies' in value && !isObject(value.policies))) {
    throw new InvalidInputError(
      'ERR_AGENT_FIREFOX_POLICY',
      `${file} is not a Firefox policy file (a JSON object with "policies"): fix or remove it, then run the agent again`,
    );
  }
  return value;
}

/** Adds the selection to policies.json in `dir` (created 0644 if missing); returns the file. */
export async function writeFirefoxPolicy(dir: string): Promise<string> {
  const file = path.join(dir, FIREFOX_POLICY_FILE);
  const next = withAutomaticCertificateSelection(await readFirefoxPolicies(dir));
  await mkdir(dir, { recursive: true, mode: 0o755 });
  await writeFileAtomic(file, `${JSON.stringify(next, null, 2)}\n`, 0o644);
  return file;
}

/** Takes the agent's selection out of policies.json in `dir` (the file goes when nothing else is left). */
export async function removeFirefoxPolicy(dir: string): Promise<string> {
  const file = path.join(dir, FIREFOX_POLICY_FILE);
  if (!existsSync(file)) return file;
  const next = withoutAutomaticCertificateSelection(await readFirefoxPolicies(dir));
  if (next) await writeFileAtomic(file, `${JSON.stringify(next, null, 2)}\n`, 0o644);
  else await rm(file, { force: true });
  return file;
}

function objectAt(value: Json, key: string): Json {
  const inner = value[key];
  return isObject(inner) ? inner : {};
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
