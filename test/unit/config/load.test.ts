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

  it('names the setting, the value and what is allowed for a bad port from the environment', () => {
    const error = errorOf(() => loadConfig({ env: { LATCHKEY_PORT: 'eighty' } }));
    expect(error.message).toContain('server.port = "eighty"');
    expect(error.code).toBe('ERR_CONFIG_INVALID');
  });

  it.each([
    ['issuer: http://idp.example.com', 'issuer = "http://idp.example.com": must be an https URL'],
    ['issuer: https://idp.example.com/', 'must have no query, fragment or trailing slash'],
    ['issuer: not a url', 'issuer = "not a url"'],
    ['server: { port: 70000 }', 'server.port = 70000'],
    ['server: { trusted_proxies: [10.0.0.0/33] }', 'server.trusted_proxies.0 = "10.0.0.0/33": must be a CIDR'],
    ['database: { url: "mysql://x" }', 'database.url = "mysql://x": must be a postgres:// or postgresql:// URL'],
    ['redis: { url: "http://x" }', 'redis.url = "http://x"'],
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

  it('explains a file that is not YAML, or missing', () => {
    expect(errorOf(() => loadConfig({ env: {}, file: file('server: [unclosed') })).message).toMatch(
      /is not valid YAML/,
    );
    expect(errorOf(() => loadConfig({ env: {}, file: '/nonexistent/latchkey.yaml' })).message).toContain(
      'cannot read config file /nonexistent/latchkey.yaml: ENOENT',
    );
    expect(errorOf(() => loadConfig({ env: {}, file: file('- a\n- b') })).message).toContain('must hold a mapping');
  });

  it('takes the extra file from LATCHKEY_CONFIG', () => {
    const config = loadConfig({ env: { LATCHKEY_CONFIG: file('server: { host: 127.0.0.1 }') } });
    expect(config.server.host).toBe('127.0.0.1');
    expect(config.sources).toHaveLength(2);
  });
});
