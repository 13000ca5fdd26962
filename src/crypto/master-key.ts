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

function decodeMasterKey(value: string): Buffer {
  if (/^[0-9a-fA-F]{64,}$/.test(value)) return Buffer.from(value, 'hex');
  if (/^[A-Za-z0-9+/]{43,}={0,2}$/.test(value)) {
    const bytes = Buffer.from(value, 'base64');
    if (bytes.length >= 32) return bytes;
  }
  if (value.length >= 32) return Buffer.from(value, 'utf8');
  throw new ConfigError(
    'LATCHKEY_MASTER_KEY is too short: give at least 32 bytes as base64 or hex (openssl rand -base64 32)',
  );
}
