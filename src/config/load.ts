// Loads configuration: config/default.yaml, then the file named by LATCHKEY_CONFIG, then LATCHKEY_*
// environment variables; validates the result once and reports every bad setting precisely.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import type { ZodError } from 'zod';
import { ConfigError } from '../errors.js';
import { configSchema, type LatchkeyConfig } from './schema.js';

/** The directory holding package.json, whether running from src/ (tsx) or dist/src/ (the build). */
export const PACKAGE_ROOT = findPackageRoot(path.dirname(fileURLToPath(import.meta.url)));
export const DEFAULT_CONFIG_FILE = path.join(PACKAGE_ROOT, 'config', 'default.yaml');

type Tree = Record<string, unknown>;

/** Environment variables and the setting each overrides; numbers are converted, empty means unset. */
const ENV_OVERRIDES: ReadonlyArray<{ env: string; path: string[]; type: 'string' | 'port' }> = [
  { env: 'LATCHKEY_ISSUER', path: ['issuer'], type: 'string' },
  { env: 'LATCHKEY_DATA_DIR', path: ['data_dir'], type: 'string' },
  { env: 'LATCHKEY_HOST', path: ['server', 'host'], type: 'string' },
  { env: 'LATCHKEY_PORT', path: ['server', 'port'], type: 'port' },
  { env: 'LATCHKEY_DEVICE_CHECK_PORT', path: ['device_check', 'port'], type: 'port' },
  { env: 'LATCHKEY_DATABASE_URL', path: ['database', 'url'], type: 'string' },
  { env: 'LATCHKEY_REDIS_URL', path: ['redis', 'url'], type: 'string' },
  { env: 'LATCHKEY_LOG_LEVEL', path: ['log', 'level'], type: 'string' },
  { env: 'LATCHKEY_POLICIES', path: ['policies', 'file'], type: 'string' },
];

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** Extra config file; defaults to env.LATCHKEY_CONFIG. */
  file?: string;
  /** Settings applied last (tests use this instead of writing files). */
  overrides?: Tree;
}

export interface LoadedConfig extends LatchkeyConfig {
  /** data_dir resolved to an absolute path. */
  dataDirAbsolute: string;
  /** Files that contributed, in order. */
  sources: string[];
}

/** Loads and validates the configuration, throwing a ConfigError that lists every bad setting. */
export function loadConfig(options: LoadOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const sources = [DEFAULT_CONFIG_FILE];
  let tree = readYamlFile(DEFAULT_CONFIG_FILE);
  const extraFile = options.file ?? (env.LATCHKEY_CONFIG || undefined);
  if (extraFile) {
    tree = deepMerge(tree, readYamlFile(extraFile));
    sources.push(path.resolve(extraFile));
  }
  tree = deepMerge(tree, envTree(env));
  if (options.overrides) tree = deepMerge(tree, options.overrides);
  const result = configSchema.safeParse(tree);
  if (!result.success) throw configErrorFrom(result.error, tree);
  const issuer = result.data.issuer ?? `https://localhost:${result.data.server.port}`;
  return { ...result.data, issuer, dataDirAbsolute: path.resolve(result.data.data_dir), sources };
}

function findPackageRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new ConfigError(`cannot find Latchkey's package.json above ${start}`);
  }
}

function readYamlFile(file: string): Tree {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read config file ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`, {
      file,
    });
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text, { prettyErrors: true });
  } catch (error) {
    throw new ConfigError(`config file ${file} is not valid YAML: ${(error as Error).message}`, { file });
  }
  if (parsed === null || parsed === undefined) return {};
  if (!isTree(parsed)) throw new ConfigError(`config file ${file} must hold a mapping of settings`, { file });
  return parsed;
}

function envTree(env: NodeJS.ProcessEnv): Tree {
  const tree: Tree = {};
  for (const { env: name, path: keys, type } of ENV_OVERRIDES) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const value = type === 'port' && /^\d+$/.test(raw) ? Number(raw) : raw;
    setPath(tree, keys, value);
  }
  return tree;
}

function configErrorFrom(error: ZodError, tree: Tree): ConfigError {
  const problems = error.issues.map((issue) => {
    const keys = issue.path.map(String);
    const setting = keys.join('.') || '(root)';
    if (issue.code === 'unrecognized_keys') {
      const names = issue.keys.map((key) => [...keys, key].join('.'));
      return `unknown setting ${names.join(', ')}`;
    }
    const value = getPath(tree, keys);
    const shown = value === undefined ? 'missing' : JSON.stringify(value);
    return `${setting} = ${shown}: ${issue.message}`;
  });
  return new ConfigError(`invalid configuration:\n  - ${problems.join('\n  - ')}`, { problems });
}

function isTree(value: unknown): value is Tree {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function deepMerge(base: Tree, extra: Tree): Tree {
  const out: Tree = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const current = out[key];
    out[key] = isTree(current) && isTree(value) ? deepMerge(current, value) : value;
  }
  return out;
}

function setPath(tree: Tree, keys: string[], value: unknown): void {
  let node = tree;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    node = isTree(next) ? next : (node[key] = {});
  }
  node[keys[keys.length - 1]!] = value;
}

function getPath(tree: Tree, keys: string[]): unknown {
  let node: unknown = tree;
  for (const key of keys) {
    if (!isTree(node) && !Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}
