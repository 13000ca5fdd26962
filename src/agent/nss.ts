// Installs the device key and certificate chain into the user's NSS database (where Chromium and Firefox
// on Linux look for client certificates) with certutil and pk12util from libnss3-tools. Latchkey's entries
// are found by nickname, so renewing replaces them and `remove` deletes exactly them.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { LatchkeyError } from '../errors.js';
import { buildPkcs12, randomPkcs12Password } from './pkcs12.js';
import { ensurePrivateDir, writeFileAtomic } from './state.js';

const run = promisify(execFile);

/** Nickname of the device certificate and key in NSS; every Latchkey nickname starts with it. */
export const NSS_NICKNAME = 'Latchkey Device Trust';
/** Nickname of the intermediate certificate installed next to the device certificate. */
export const NSS_INTERMEDIATE_NICKNAME = `${NSS_NICKNAME} Intermediate CA`;
/** Deleting the same nickname more often than this means certutil is not deleting: stop. */
const MAX_DELETIONS = 20;

export interface NssOptions {
  /** NSS database directory (default ~/.pki/nssdb). */
  dir?: string;
  /** certutil and pk12util executables (default from PATH). */
  certutil?: string;
  pk12util?: string;
}

export interface NssCertificate {
  nickname: string;
  /** Trust attributes as certutil prints them, e.g. "u,u,u" (has a private key) or ",,". */
  trust: string;
}

/** certutil or pk12util failed or is missing (install libnss3-tools). */
export class NssError extends LatchkeyError {
  constructor(message: string, detail: Record<string, unknown> = {}, cause?: unknown) {
    super('ERR_AGENT_NSS', message, { status: 500, detail, cause });
  }
}

/** The user's NSS database directory: ~/.pki/nssdb. */
export function defaultNssDir(home: string = os.homedir()): string {
  return path.join(home, '.pki', 'nssdb');
}

/** Creates the NSS database (empty password, `sql:` format) if `dir` has none yet; returns its directory. */
export async function ensureNssDatabase(options: NssOptions = {}): Promise<string> {
  const dir = options.dir ?? defaultNssDir();
  if (!existsSync(path.join(dir, 'cert9.db'))) {
    await ensurePrivateDir(dir);
    await tool(options.certutil ?? 'certutil', ['-N', '--empty-password', '-d', `sql:${dir}`]);
  }
  return dir;
}

/** Lists the certificates in the NSS database at `dir` (certutil -L). */
export async function listNssCertificates(dir: string, options: NssOptions = {}): Promise<NssCertificate[]> {
  const { stdout } = await tool(options.certutil ?? 'certutil', ['-L', '-d', `sql:${dir}`]);
  return parseCertutilList(stdout);
}

/** The PEM of the certificate named `nickname` in the NSS database at `dir`, or null when there is none. */
export async function nssCertificatePem(
  dir: string,
  nickname: string,
  options: NssOptions = {},
): Promise<string | null> {
  if (!existsSync(path.join(dir, 'cert9.db'))) return null;
  if (!(await listNssCertificates(dir, options)).some((entry) => entry.nickname === nickname)) return null;
  const { stdout } = await tool(options.certutil ?? 'certutil', ['-L', '-d', `sql:${dir}`, '-n', nickname, '-a']);
  return stdout;
}

/** Parses `certutil -L` output: a header, then "<nickname>  <trust>" lines. */
export function parseCertutilList(output: string): NssCertificate[] {
  const entries: NssCertificate[] = [];
  for (const line of output.split('\n')) {
    const match = /^(.*?)\s+([A-Za-z]*,[A-Za-z]*,[A-Za-z]*)\s*$/.exec(line);
    if (match && match[1] !== 'SSL,S/MIME,JAR/XPI' && match[1]!.trim() !== '') {
      entries.push({ nickname: match[1]!.trim(), trust: match[2]! });
    }
  }
  return entries;
}

/** Removes every Latchkey certificate (and the device key) from the NSS database; returns what it removed. */
export async function removeLatchkeyFromNss(options: NssOptions = {}): Promise<string[]> {
  const dir = options.dir ?? defaultNssDir();
  if (!existsSync(path.join(dir, 'cert9.db'))) return [];
  const certutil = options.certutil ?? 'certutil';
  const removed: string[] = [];
  for (let round = 0; round < MAX_DELETIONS; round++) {
    const ours = (await listNssCertificates(dir, options)).filter((entry) => entry.nickname.startsWith(NSS_NICKNAME));
    const [next] = ours;
    if (!next) return removed;
    // -F deletes the key together with its certificate; a certificate without a key needs -D.
    const hasKey = next.trust.includes('u');
    await tool(certutil, [
      hasKey ? '-F' : '-D',
      '-d',
      `sql:${dir}`,
      '-n',
      next.nickname,
      ...(hasKey ? ['-f', '/dev/null'] : []),
    ]);
    removed.push(next.nickname);
  }
  throw new NssError('Latchkey certificates could not be removed from the NSS database', { dir, removed });
}

export interface NssInstallInput extends NssOptions {
  privateKeyPem: string;
  certificatePem: string;
  chainPem: readonly string[];
}

/**
 * Installs key, device certificate and chain into the NSS database (created if missing), replacing any
 * earlier Latchkey entries. Goes through a PKCS#12 with a one-time password in a private temp directory.
 */
export async function installIntoNss(input: NssInstallInput): Promise<{ dir: string; nickname: string }> {
  const dir = await ensureNssDatabase(input);
  await removeLatchkeyFromNss({ ...input, dir });
  const password = randomPkcs12Password();
  const pkcs12 = await buildPkcs12({
    privateKeyPem: input.privateKeyPem,
    certificatePem: input.certificatePem,
    chainPem: input.chainPem,
    password,
    friendlyName: NSS_NICKNAME,
    chainFriendlyNames: input.chainPem.map((_, index) =>
      index === 0 ? NSS_INTERMEDIATE_NICKNAME : `${NSS_NICKNAME} CA ${index}`,
    ),
    iterations: 10_000, // the file lives for milliseconds in a 0700 directory; NSS re-encrypts the key itself
  });
  const temp = await mkdtemp(path.join(os.tmpdir(), 'latchkey-agent-'));
  try {
    const file = path.join(temp, 'device.p12');
    const passwordFile = path.join(temp, 'password');
    await writeFileAtomic(file, pkcs12);
    // The password goes in a file, not argv, where `ps` and error messages would show it.
    await writeFileAtomic(passwordFile, `${password}\n`);
    await tool(input.pk12util ?? 'pk12util', ['-i', file, '-d', `sql:${dir}`, '-w', passwordFile, '-K', '']);
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
  return { dir, nickname: NSS_NICKNAME };
}

async function tool(command: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  try {
    return await run(command, args, { encoding: 'utf8', timeout: 30_000 });
  } catch (cause) {
    const error = cause as NodeJS.ErrnoException & { stderr?: string };
    if (error.code === 'ENOENT') {
      throw new NssError(`${command} is not installed (Debian/Ubuntu: apt install libnss3-tools)`, { command }, cause);
    }
    throw new NssError(
      `${command} failed: ${(error.stderr ?? '').trim().split('\n')[0] ?? ''}`,
      { command, verb: args[0] },
      cause,
    );
  }
}
