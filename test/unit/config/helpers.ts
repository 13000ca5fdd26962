// What the configuration tests share: loading a YAML snippet as the extra config file, and the message
// a refused one stops start-up with.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig, type LoadedConfig } from '../../../src/config/load.js';
import { ConfigError } from '../../../src/errors.js';

/** The configuration with `yaml` as the extra config file (no environment). */
export function loadYaml(yaml: string): LoadedConfig {
  const dir = mkdtempSync(path.join(tmpdir(), 'latchkey-config-'));
  const file = path.join(dir, 'latchkey.yaml');
  writeFileSync(file, yaml);
  return loadConfig({ env: {}, file });
}

/** The ConfigError message `yaml` is refused with; fails the test when it is accepted. */
export function problems(yaml: string): string {
  try {
    loadYaml(yaml);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error(`expected ${yaml} to be refused`);
}
