// Loads configuration: config/default.yaml, then the file named by LATCHKEY_CONFIG, then LATCHKEY_*
// environment variables; validates the result once and reports every bad setting precisely, naming
// where it was set (the variable or the file), so the message says what to change.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LineCounter, parseDocument } from 'yaml';
import type { ZodError } from 'zod';
import { masterKeyProblem } from '../crypto/master-key.js';
import { ConfigError } from '../errors.js';
import { closestMatch } from '../policies/suggest.js';
import { relyingPartyIdentity, relyingPartyProblem } from './passkeys.js';
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
  { env: 'LATCHKEY_METRICS_TOKEN', path: ['metrics', 'token'], type: 'string' },
  { env: 'LATCHKEY_METRICS_PORT', path: ['metrics', 'port'], type: 'port' },
];

/** Variables read elsewhere (not settings), and prefixes reserved for the test suite and CI. */
/** Shortest metrics bearer token accepted (a scraper's secret, not a password to remember). */
export const MIN_METRICS_TOKEN_LENGTH = 32;

const OTHER_VARIABLES = ['LATCHKEY_CONFIG', 'LATCHKEY_MASTER_KEY', 'LATCHKEY_AGENT_STATE_DIR'];
const RESERVED_PREFIXES = ['LATCHKEY_TEST_', 'LATCHKEY_CI', 'LATCHKEY_CHROMIUM'];

/** Every LATCHKEY_* variable Latchkey reads, for "did you mean". */
export const KNOWN_VARIABLES: readonly string[] = [...ENV_OVERRIDES.map((o) => o.env), ...OTHER_VARIABLES];

/** Where a setting's value came from: a LATCHKEY_* variable or a file (absent: the defaults or overrides). */
type Origin = { variable: string } | { file: string };

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
  const defaults = readYamlFile(DEFAULT_CONFIG_FILE, 'the default configuration');
  const origins = new Map<string, Origin>();
  let tree = defaults;
  const extraFile = options.file ?? (env.LATCHKEY_CONFIG || undefined);
  if (extraFile) {
    const named = options.file === undefined ? 'LATCHKEY_CONFIG' : '--config';
    const extra = readYamlFile(extraFile, named);
    tree = deepMerge(tree, extra);
    sources.push(path.resolve(extraFile));
    for (const keys of leafPaths(extra)) origins.set(keys.join('.'), { file: path.resolve(extraFile) });
  }
  const fromEnv = envTree(env);
  tree = deepMerge(tree, fromEnv.tree);
  for (const [setting, variable] of fromEnv.variables) origins.set(setting, { variable });
  if (options.overrides) {
    tree = deepMerge(tree, options.overrides);
    for (const keys of leafPaths(options.overrides)) origins.delete(keys.join('.'));
  }
  const problems = unknownVariables(env);
  const result = configSchema.safeParse(tree);
  if (!result.success) {
    problems.push(...schemaProblems(result.error, tree, defaults, origins));
    throw invalid(problems);
  }
  const issuer = result.data.issuer ?? `https://localhost:${result.data.server.port}`;
  const config = { ...result.data, issuer, dataDirAbsolute: path.resolve(result.data.data_dir), sources };
  problems.push(...crossCheck(config, env, origins));
  if (problems.length > 0) throw invalid(problems);
  return config;
}

function invalid(problems: readonly string[]): ConfigError {
  return new ConfigError(`invalid configuration:\n  - ${problems.join('\n  - ')}`, { problems });
}

function findPackageRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new ConfigError(`cannot find Latchkey's package.json above ${start}`);
  }
}

/** A YAML file's settings; `named` says how the operator named it, for the messages. */
function readYamlFile(file: string, named: string): Tree {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT'
        ? 'not found'
        : code === 'EACCES'
          ? 'is not readable by this user'
          : code === 'EISDIR'
            ? 'is a directory, not a file'
            : `cannot be read (${code ?? String(error)})`;
    throw new ConfigError(`config file ${file} (${named}) ${reason}`, { file });
  }
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false });
  // Later syntax errors are mostly echoes of the first: report the one to fix.
  const first = document.errors[0];
  if (first) {
    const { line, col } = lineCounter.linePos(first.pos[0]);
    const message = (first.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
    throw new ConfigError(`${file}:${line}:${col}: not valid YAML: ${message}`, { file });
  }
  let parsed: unknown;
  try {
    parsed = document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw new ConfigError(`config file ${file} cannot be read as settings: ${(error as Error).message}`, { file });
  }
  if (parsed === null || parsed === undefined) return {};
  if (!isTree(parsed)) throw new ConfigError(`config file ${file} must hold a mapping of settings`, { file });
  return parsed;
}

function envTree(env: NodeJS.ProcessEnv): { tree: Tree; variables: Map<string, string> } {
  const tree: Tree = {};
  const variables = new Map<string, string>();
  for (const { env: name, path: keys, type } of ENV_OVERRIDES) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const value = type === 'port' && /^\d+$/.test(raw) ? Number(raw) : raw;
    setPath(tree, keys, value);
    variables.set(keys.join('.'), name);
  }
  return { tree, variables };
}

/** A LATCHKEY_* variable that nothing reads is almost always a typo that would silently do nothing. */
function unknownVariables(env: NodeJS.ProcessEnv): string[] {
  const problems: string[] = [];
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith('LATCHKEY_') || KNOWN_VARIABLES.includes(name)) continue;
    if (RESERVED_PREFIXES.some((prefix) => name.startsWith(prefix))) continue;
    const suggestion = suggest(name, KNOWN_VARIABLES);
    problems.push(
      suggestion
        ? `unknown environment variable ${name} (did you mean ${suggestion}?)`
        : `unknown environment variable ${name}: Latchkey reads ${KNOWN_VARIABLES.join(', ')}`,
    );
  }
  return problems;
}

function schemaProblems(error: ZodError, tree: Tree, defaults: Tree, origins: Map<string, Origin>): string[] {
  return error.issues.map((issue) => {
    const keys = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      const known = Object.keys(asTree(getPath(defaults, keys)));
      return issue.keys
        .map((key) => {
          const name = [...keys, key].join('.');
          const origin = originOf(origins, [...keys, key]);
          const suggestion = suggest(key, known);
          const where = origin && 'file' in origin ? ` in ${origin.file}` : '';
          return `unknown setting ${name}${where}${suggestion ? ` (did you mean ${[...keys, suggestion].join('.')}?)` : ''}`;
        })
        .join('\n  - ');
    }
    const setting = keys.join('.') || '(root)';
    const value = getPath(tree, keys);
    return describeProblem(setting, value, issue.message, originOf(origins, keys));
  });
}

/**
 * `LATCHKEY_PORT = "eighty" (server.port): rule` when a variable set it (that is what to change),
 * `server.port = 0: rule (in /etc/latchkey.yaml)` for a file, `server.port = 0: rule` for the defaults.
 */
function describeProblem(setting: string, value: unknown, rule: string, origin: Origin | undefined): string {
  const shown = value === undefined ? 'missing' : JSON.stringify(value);
  if (origin && 'variable' in origin) return `${origin.variable} = ${shown} (${setting}): ${rule}`;
  return `${setting} = ${shown}: ${rule}${origin ? ` (in ${origin.file})` : ''}`;
}

/** The origin of a setting, of the mapping it is in, or (for a mapping) of a setting inside it. */
function originOf(origins: Map<string, Origin>, keys: readonly string[]): Origin | undefined {
  for (let n = keys.length; n > 0; n -= 1) {
    const found = origins.get(keys.slice(0, n).join('.'));
    if (found) return found;
  }
  const prefix = `${keys.join('.')}.`;
  for (const [setting, origin] of origins) if (setting.startsWith(prefix)) return origin;
  return undefined;
}

/** What start-up would refuse beyond single values: settings that conflict, and the master key. */
function crossCheck(config: LatchkeyConfig, env: NodeJS.ProcessEnv, origins: Map<string, Origin>): string[] {
  const problems: string[] = [];
  const main = config.server;
  const check = config.device_check;
  const checkHost = check.host ?? main.host;
  const wildcard = (host: string) => ['0.0.0.0', '::', '[::]'].includes(host);
  if (check.port === main.port && (checkHost === main.host || wildcard(checkHost) || wildcard(main.host))) {
    const setBy = (keys: string[]) => {
      const origin = originOf(origins, keys);
      if (!origin) return null;
      return 'variable' in origin ? origin.variable : `${keys.join('.')} in ${origin.file}`;
    };
    const named = [setBy(['device_check', 'port']), setBy(['server', 'port'])].filter(Boolean).join(' and ');
    problems.push(
      `device_check.port = ${check.port} is the same port as server.port${named ? ` (set by ${named})` : ''}: ` +
        'the device-check listener needs a port of its own; set device_check.port or LATCHKEY_DEVICE_CHECK_PORT ' +
        `to another port (default 8444)`,
    );
  }
  const relyingParty = relyingPartyProblem(relyingPartyIdentity(config));
  if (relyingParty) problems.push(relyingParty);
  const masterKey = masterKeyProblem(env, config.security.require_master_key);
  if (masterKey) problems.push(masterKey);
  problems.push(...metricsProblems(config));
  return problems;
}

/** The metrics token is a secret: judged here, where the message can leave its value out. */
function metricsProblems(config: LatchkeyConfig): string[] {
  const { token, port, host } = config.metrics;
  const problems: string[] = [];
  if (token !== null && (token.length < MIN_METRICS_TOKEN_LENGTH || /\s/.test(token))) {
    problems.push(
      `metrics.token (LATCHKEY_METRICS_TOKEN) must be at least ${MIN_METRICS_TOKEN_LENGTH} characters with no white ` +
        'space, e.g. from `openssl rand -hex 32`',
    );
  }
  const taken = [
    ['server.port', config.server.port, config.server.host],
    ['device_check.port', config.device_check.port, config.device_check.host ?? config.server.host],
  ] as const;
  for (const [setting, other, otherHost] of taken) {
    const wildcard = (h: string) => ['0.0.0.0', '::', '[::]'].includes(h);
    if (port === other && (host === otherHost || wildcard(host) || wildcard(otherHost))) {
      problems.push(
        `metrics.port = ${port} is the same port as ${setting}: the metrics listener needs a port of its own`,
      );
    }
  }
  return problems;
}

/** closestMatch, plus two swapped neighbouring letters (prot for port), the typo edit distance counts twice. */
function suggest(input: string, candidates: readonly string[]): string | null {
  return closestMatch(input, candidates) ?? candidates.find((candidate) => isTransposition(input, candidate)) ?? null;
}

function isTransposition(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  const differ = [...a].flatMap((char, i) => (char === b[i] ? [] : [i]));
  return (
    differ.length === 2 &&
    differ[1] === differ[0]! + 1 &&
    a[differ[0]!] === b[differ[1]!] &&
    a[differ[1]!] === b[differ[0]!]
  );
}

/** Paths of the values in a tree (lists count as one value), e.g. ['server', 'port']. */
function leafPaths(tree: Tree, prefix: string[] = []): string[][] {
  return Object.entries(tree).flatMap(([key, value]) =>
    isTree(value) ? leafPaths(value, [...prefix, key]) : [[...prefix, key]],
  );
}

function asTree(value: unknown): Tree {
  return isTree(value) ? value : {};
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
