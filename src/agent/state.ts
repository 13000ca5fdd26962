// The agent's state directory: one JSON file holding the device key (PKCS#8 PEM), the certificate, its
// chain and what the agent needs to renew. Written atomically (temp file + rename) with mode 0600 in a
// 0700 directory, so a crash never leaves a key without its certificate.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { InvalidInputError } from '../errors.js';

export const STATE_FILE = 'device.json';

/** Everything the agent keeps about its enrollment. */
export interface AgentState {
  version: 1;
  /** Main listener URL used for enrollment, e.g. https://id.example.com. */
  serverUrl: string;
  /** Device-check (mTLS) listener URL: renewals go here and the browser policy names its origin. */
  deviceCheckUrl: string;
  deviceId: string;
  /** Unencrypted PKCS#8 PEM of the device key. */
  privateKeyPem: string;
  certificatePem: string;
  /** PEM certificates above the leaf (the intermediate), as the server returned them. */
  chainPem: string[];
  /** PEM of extra CA certificates trusted for the server's TLS certificate (e.g. a development CA). */
  serverCaPem?: string;
  /** ISO timestamps. */
  enrolledAt: string;
  renewedAt?: string;
  /** Set when the server refused this device as revoked: only a new enrollment helps. */
  revoked?: { at: string; reason: string };
}

/**
 * The state directory: $LATCHKEY_AGENT_STATE_DIR, else $XDG_STATE_HOME/latchkey-agent, else
 * ~/.local/state/latchkey-agent.
 */
export function defaultStateDir(env: NodeJS.ProcessEnv = process.env, home: string = os.homedir()): string {
  if (env.LATCHKEY_AGENT_STATE_DIR) return env.LATCHKEY_AGENT_STATE_DIR;
  const base = env.XDG_STATE_HOME || path.join(home, '.local', 'state');
  return path.join(base, 'latchkey-agent');
}

/** Creates `dir` (and parents) if needed and makes it private to the user (0700). */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
}

/** Writes `contents` to `file` atomically: a temp file in the same directory (mode `mode`), fsync, rename. */
export async function writeFileAtomic(file: string, contents: string | Uint8Array, mode = 0o600): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', mode);
  try {
    await handle.writeFile(contents);
    await handle.chmod(mode);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** Saves the agent state into `dir` (created 0700), as one 0600 file replaced atomically. */
export async function saveAgentState(dir: string, state: AgentState): Promise<string> {
  await ensurePrivateDir(dir);
  const file = path.join(dir, STATE_FILE);
  await writeFileAtomic(file, `${JSON.stringify(state, null, 2)}\n`);
  return file;
}

/** Loads the agent state from `dir`; null if the device is not enrolled (no state file). */
export async function loadAgentState(dir: string): Promise<AgentState | null> {
  let text: string;
  try {
    text = await readFile(path.join(dir, STATE_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  return parseAgentState(text);
}

/** Deletes the agent state (key included) from `dir`; a missing file is not an error. */
export async function removeAgentState(dir: string): Promise<void> {
  await rm(path.join(dir, STATE_FILE), { force: true });
}

function parseAgentState(text: string): AgentState {
  const damaged = (cause?: unknown) =>
    new InvalidInputError('ERR_AGENT_STATE', `the agent state file ${STATE_FILE} is damaged: enroll again`, {
      cause: String(cause),
    });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw damaged(cause);
  }
  const state = value as Partial<AgentState> | null;
  const strings = ['serverUrl', 'deviceCheckUrl', 'deviceId', 'privateKeyPem', 'certificatePem', 'enrolledAt'] as const;
  if (
    !state ||
    state.version !== 1 ||
    strings.some((key) => typeof state[key] !== 'string') ||
    !Array.isArray(state.chainPem)
  ) {
    throw damaged('missing fields');
  }
  return state as AgentState;
}
