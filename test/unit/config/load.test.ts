// Configuration is validated once, at start, with messages naming the setting, the value and what is
// allowed; `latchkey config check` runs the same code.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../../src/config/load.js';
import { ConfigError } from '../../../src/errors.js';

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

function file(text: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'latchkey-config-'));
  const name = path.join(dir, 'latchkey.yaml');
  writeFileSync(name, text);
  return name;
}

describe('configuration', () => {
  it('loads the documented defaults, deriving the issuer from the port', () => {
    const config = loadConfig({ env: {} });
    expect(config.issuer).toBe('https://localhost:8443');
    expect(config.server.port).toBe(8443);
    expect(config.device_check.port).toBe(8444);
    expect(config.database.url).toBeNull();
    expect(config.redis.url).toBeNull();
  });

  it('applies LATCHKEY_* environment overrides over the file', () => {
    const config = loadConfig({
      env: {
        LATCHKEY_PORT: '9443',
        LATCHKEY_DATABASE_URL: 'postgres://db/latchkey',
        LATCHKEY_REDIS_URL: 'redis://cache:6379',
        LATCHKEY_DATA_DIR: '/tmp/x',
      },
    });
    expect(config.server.port).toBe(9443);
    expect(config.issuer).toBe('https://localhost:9443');
    expect(config.database.url).toBe('postgres://db/latchkey');
    expect(config.redis.url).toBe('redis://cache:6379');
    expect(config.dataDirAbsolute).toBe('/tmp/x');
  });

  it('names the variable to change when the bad value came from the environment', () => {
    const error = errorOf(() => loadConfig({ env: { LATCHKEY_PORT: 'eighty' } }));
    expect(error.message).toBe(
      'invalid configuration:\n  - LATCHKEY_PORT = "eighty" (server.port): must be a port number from 1 to 65535',
    );
    expect(error.code).toBe('ERR_CONFIG_INVALID');
    expect(errorOf(() => loadConfig({ env: { LATCHKEY_ISSUER: 'http://idp.example.com' } })).message).toContain(
      'LATCHKEY_ISSUER = "http://idp.example.com" (issuer): must be an https URL',
    );
  });

  it('names the file a bad value came from', () => {
    const name = file('server: { port: 70000 }');
    expect(errorOf(() => loadConfig({ env: {}, file: name })).message).toContain(
      `server.port = 70000: must be a port number from 1 to 65535 (in ${name})`,
    );
  });

  it('names the variable, not the file, when a variable overrides a good value from a file', () => {
    const name = file('server: { port: 9443 }');
    expect(errorOf(() => loadConfig({ env: { LATCHKEY_PORT: '0' }, file: name })).message).toContain(
      'LATCHKEY_PORT = 0 (server.port)',
    );
  });

  it.each([
    ['LATCHKEY_DATABSE_URL', 'unknown environment variable LATCHKEY_DATABSE_URL (did you mean LATCHKEY_DATABASE_URL?)'],
    ['LATCHKEY_MASTERKEY', 'unknown environment variable LATCHKEY_MASTERKEY (did you mean LATCHKEY_MASTER_KEY?)'],
    ['LATCHKEY_DEVICE_PORT', 'unknown environment variable LATCHKEY_DEVICE_PORT'],
  ])('refuses the unknown variable %s, which would silently do nothing', (name, message) => {
    expect(errorOf(() => loadConfig({ env: { [name]: 'x' } })).message).toContain(message);
  });

  it('leaves the variables of the test suite and CI alone', () => {
    expect(() =>
      loadConfig({ env: { LATCHKEY_TEST_DATABASE_URL: 'postgres://x', LATCHKEY_CI: '1', LATCHKEY_CHROMIUM: '/c' } }),
    ).not.toThrow();
  });

  it.each([
    ['server: { prot: 1 }', 'unknown setting server.prot in %FILE% (did you mean server.port?)'],
    ['serverr: { port: 1 }', 'unknown setting serverr in %FILE% (did you mean server?)'],
    ['log: { levle: info }', 'unknown setting log.levle in %FILE% (did you mean log.level?)'],
    ['tokens: { frobnicate: 1 }', 'unknown setting tokens.frobnicate in %FILE%'],
  ])('suggests the setting meant by %s', (yaml, message) => {
    const name = file(yaml);
    const error = errorOf(() => loadConfig({ env: {}, file: name }));
    expect(error.message).toContain(message.replace('%FILE%', name));
    if (!message.includes('did you mean')) expect(error.message).not.toContain('did you mean');
  });

  it('refuses a device-check port equal to the main port, as start-up would fail on it', () => {
    const error = errorOf(() => loadConfig({ env: { LATCHKEY_DEVICE_CHECK_PORT: '8443' } }));
    expect(error.message).toContain(
      'device_check.port = 8443 is the same port as server.port (set by LATCHKEY_DEVICE_CHECK_PORT): the ' +
        'device-check listener needs a port of its own; set device_check.port or LATCHKEY_DEVICE_CHECK_PORT',
    );
    const apart = loadConfig({
      env: { LATCHKEY_DEVICE_CHECK_PORT: '8443', LATCHKEY_HOST: '10.0.0.1' },
      overrides: { device_check: { host: '10.0.0.2' } },
    });
    expect(apart.device_check.port).toBe(8443);
  });

  it.each([
    ['short', 'LATCHKEY_MASTER_KEY is too short (5 characters): give 32 random bytes as base64'],
    ['00112233445566778899aabbccddeeff', 'LATCHKEY_MASTER_KEY is hex of only 16 bytes'],
    ['AAECAwQFBgcICQoLDA0ODxAREhMUFRYX/w==', 'LATCHKEY_MASTER_KEY is base64 of only 25 bytes'],
    [` ${'k'.repeat(40)}`, 'LATCHKEY_MASTER_KEY begins or ends with white space'],
  ])('refuses the master key %j like start-up does', (key, message) => {
    expect(errorOf(() => loadConfig({ env: { LATCHKEY_MASTER_KEY: key } })).message).toContain(message);
  });

  it('accepts a 32-byte master key in base64 or hex, or a long passphrase', () => {
    for (const key of [Buffer.alloc(32, 7).toString('base64'), Buffer.alloc(32, 7).toString('hex'), 'p'.repeat(32)])
      expect(() => loadConfig({ env: { LATCHKEY_MASTER_KEY: key } })).not.toThrow();
  });

  it('refuses a required master key that is not set', () => {
    expect(
      errorOf(() => loadConfig({ env: {}, overrides: { security: { require_master_key: true } } })).message,
    ).toContain('security.require_master_key is true but LATCHKEY_MASTER_KEY is not set');
  });

  it.each([
    ['issuer: http://idp.example.com', 'issuer = "http://idp.example.com": must be an https URL'],
    ['issuer: https://idp.example.com/', 'must have no query, fragment or trailing slash'],
    ['issuer: not a url', 'issuer = "not a url"'],
    ['server: { port: 70000 }', 'server.port = 70000'],
    ['server: { trusted_proxies: [10.0.0.0/33] }', 'server.trusted_proxies.0 = "10.0.0.0/33": must be a CIDR'],
    ['database: { url: "mysql://x" }', 'database.url = "mysql://x": must be a postgres:// or postgresql:// URL'],
    ['redis: { url: "http://x" }', 'redis.url = "http://x"'],
    ['database: { sqlite_synchronous: "off" }', 'database.sqlite_synchronous = "off"'],
    ['cluster: { cache_revalidate_seconds: -1 }', 'cluster.cache_revalidate_seconds = -1'],
    ['cluster: { cache_revalidate_seconds: 61 }', 'cluster.cache_revalidate_seconds = 61'],
    ['log: { level: loud }', 'log.level = "loud"'],
    ['server: { tls: { cert_file: /a.pem } }', 'cert_file and key_file must be set together'],
    ['tokens: { authorization_code_ttl_seconds: 3600 }', 'tokens.authorization_code_ttl_seconds = 3600'],
    ['serverr: { port: 1 }', 'unknown setting serverr'],
    ['server: { prot: 1 }', 'unknown setting server.prot'],
  ])('rejects %s', (yaml, message) => {
    const error = errorOf(() => loadConfig({ env: {}, file: file(yaml) }));
    expect(error.message).toContain(message);
  });

  it('reports every bad setting at once', () => {
    const error = errorOf(() =>
      loadConfig({ env: {}, file: file('server: { port: 0, host: "" }\nlog: { level: x }') }),
    );
    expect(error.message).toContain('server.port');
    expect(error.message).toContain('server.host');
    expect(error.message).toContain('log.level');
  });

  it('reports the first YAML syntax error with its line and column, not the echoes after it', () => {
    const name = file('server:\n  port: 8443\n  host: [a\nlog:\n  level: "x\n');
    const error = errorOf(() => loadConfig({ env: {}, file: name }));
    expect(error.message).toBe(
      `${name}:4:1: not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]`,
    );
  });

  it('says a missing config file is not found, naming how it was given', () => {
    expect(errorOf(() => loadConfig({ env: {}, file: '/nonexistent/latchkey.yaml' })).message).toBe(
      'config file /nonexistent/latchkey.yaml (--config) not found',
    );
    expect(errorOf(() => loadConfig({ env: { LATCHKEY_CONFIG: '/nonexistent/x.yaml' } })).message).toBe(
      'config file /nonexistent/x.yaml (LATCHKEY_CONFIG) not found',
    );
    expect(errorOf(() => loadConfig({ env: {}, file: tmpdir() })).message).toBe(
      `config file ${tmpdir()} (--config) is a directory, not a file`,
    );
    expect(errorOf(() => loadConfig({ env: {}, file: file('- a\n- b') })).message).toContain('must hold a mapping');
  });

  it('takes the extra file from LATCHKEY_CONFIG', () => {
    const config = loadConfig({ env: { LATCHKEY_CONFIG: file('server: { host: 127.0.0.1 }') } });
    expect(config.server.host).toBe('127.0.0.1');
    expect(config.sources).toHaveLength(2);
  });
});
