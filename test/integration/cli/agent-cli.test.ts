// The device agent refuses to send an enrollment token anywhere but over TLS (loopback excepted).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';

describe('latchkey-agent arguments', () => {
  const home = mkdtempSync(path.join(tmpdir(), 'latchkey-agent-args-'));
  afterAll(() => rmSync(home, { recursive: true, force: true }));
  const agent = (args: string[]) =>
    spawnSync(process.execPath, ['bin/latchkey-agent.js', ...args], {
      env: { PATH: process.env.PATH, HOME: home },
      encoding: 'utf8',
      timeout: 60_000,
    });

  it.each([
    ['http://id.example.com', '--server must be an https URL, not "http://id.example.com"'],
    ['not a url', '--server must be a URL, not "not a url"'],
  ])('refuses --server %s before sending the token', (server, message) => {
    const result = agent(['enroll', '--server', server, '--token', 'lket_secret', '--no-nss', '--no-policy']);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(`latchkey-agent: ${message}\n`);
  });
});
