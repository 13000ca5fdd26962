// The master key encrypts private keys and secrets at rest. It comes from LATCHKEY_MASTER_KEY; for
// development a random key file is generated in the data directory, with a warning.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors.js';

export interface MasterKeySource {
  key: Buffer;
  origin: 'environment' | 'dev-file';
  file?: string;
}

/**
 * Returns the master key: LATCHKEY_MASTER_KEY (base64 or hex of 32+ bytes, or a passphrase of 32+
 * characters) or, unless required, the development key file data_dir/master.key (created if missing).
 */
export function loadMasterKey(env: NodeJS.ProcessEnv, dataDir: string, required: boolean): MasterKeySource {
  const fromEnv = env.LATCHKEY_MASTER_KEY;
  if (fromEnv) return { key: decodeMasterKey(fromEnv), origin: 'environment' };
  if (required) {
    throw new ConfigError(
      'security.require_master_key is true but LATCHKEY_MASTER_KEY is not set: set it to 32 random bytes in base64 (openssl rand -base64 32)',
    );
  }
  const file = path.join(dataDir, 'master.key');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    writeFileSync(file, randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  }
  return { key: decodeMasterKey(readFileSync(file, 'utf8').trim()), origin: 'dev-file', file };
}

const HOW = 'give 32 random bytes as base64 (openssl rand -base64 32) or hex (openssl rand -hex 32)';

/**
 * The key bytes of a LATCHKEY_MASTER_KEY value, or a ConfigError naming what is wrong with it. A value
 * that is plainly an encoding of fewer than 32 bytes (`openssl rand -hex 16`, base64 with padding) is
 * refused rather than taken as a passphrase of its characters, which would hide the mistake.
 */
export function decodeMasterKey(value: string): Buffer {
  if (/^[0-9a-fA-F]{64,}$/.test(value)) return Buffer.from(value, 'hex');
  if (/^[A-Za-z0-9+/]{43,}={0,2}$/.test(value)) {
    const bytes = Buffer.from(value, 'base64');
    if (bytes.length >= 32) return bytes;
  }
  if (value.trim() !== value) {
    throw new ConfigError(
      'LATCHKEY_MASTER_KEY begins or ends with white space: remove it (environment files take values literally)',
    );
  }
  if (/^(?:[0-9a-fA-F]{2})+$/.test(value) && value.length < 64) {
    throw new ConfigError(`LATCHKEY_MASTER_KEY is hex of only ${value.length / 2} bytes: ${HOW}`);
  }
  if (/^[A-Za-z0-9+/]+={1,2}$/.test(value)) {
    throw new ConfigError(`LATCHKEY_MASTER_KEY is base64 of only ${Buffer.from(value, 'base64').length} bytes: ${HOW}`);
  }
  if (value.length >= 32) return Buffer.from(value, 'utf8');
  throw new ConfigError(
    `LATCHKEY_MASTER_KEY is too short (${value.length} characters): ${HOW}, or a passphrase of 32+ characters`,
  );
}

/** The problem start-up would have with the master key settings, without creating the development key. */
export function masterKeyProblem(env: NodeJS.ProcessEnv, required: boolean): string | null {
  try {
    if (env.LATCHKEY_MASTER_KEY) decodeMasterKey(env.LATCHKEY_MASTER_KEY);
    else if (required) loadMasterKey(env, '', true);
    return null;
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
}
