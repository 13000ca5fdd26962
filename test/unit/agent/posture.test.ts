import { readFileSync } from 'node:fs';
import os from 'node:os';
import {
  collectPosture,
  parseOsRelease,
  type PostureSources,
  platformName,
  secureBootState,
} from '../../../src/agent/posture.js';

const fake = (overrides: Partial<PostureSources>): PostureSources => ({
  platform: 'linux',
  release: '6.1.0-18-amd64',
  hostname: 'laptop-7',
  readText: async () => null,
  readBytes: async () => null,
  ...overrides,
});

describe('device posture', () => {
  it('parses os-release with quoted and unquoted values', () => {
    const fields = parseOsRelease(
      'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n# comment\n',
    );
    expect(fields).toMatchObject({ VERSION_ID: '12', ID: 'debian', PRETTY_NAME: 'Debian GNU/Linux 12 (bookworm)' });
    expect(parseOsRelease("VERSION_ID='24.04'").VERSION_ID).toBe('24.04');
  });

  it('reports VERSION_ID on Linux, the kernel release when os-release is missing', async () => {
    const withRelease = fake({ readText: async (file) => (file === '/etc/os-release' ? 'VERSION_ID="12"\n' : null) });
    await expect(collectPosture(withRelease)).resolves.toEqual({
      platform: 'linux',
      osVersion: '12',
      hostname: 'laptop-7',
      integrity: 'unknown',
    });
    await expect(collectPosture(fake({}))).resolves.toMatchObject({ osVersion: '6.1.0-18-amd64' });
  });

  it('reads Secure Boot from the UEFI variable', async () => {
    expect(secureBootState(new Uint8Array([6, 0, 0, 0, 1]))).toBe('secure-boot-on');
    expect(secureBootState(new Uint8Array([6, 0, 0, 0, 0]))).toBe('secure-boot-off');
    expect(secureBootState(null)).toBe('unknown');
    await expect(
      collectPosture(fake({ readBytes: async () => new Uint8Array([6, 0, 0, 0, 1]) })),
    ).resolves.toMatchObject({ integrity: 'secure-boot-on' });
  });

  it('names macOS and Windows and uses the OS release there', async () => {
    expect(platformName('darwin')).toBe('macos');
    expect(platformName('win32')).toBe('windows');
    expect(platformName('freebsd')).toBe('other');
    await expect(collectPosture(fake({ platform: 'win32', release: '10.0.22631' }))).resolves.toMatchObject({
      platform: 'windows',
      osVersion: '10.0.22631',
    });
  });

  it('reads this machine', async () => {
    const posture = await collectPosture();
    expect(posture.hostname).toBe(os.hostname());
    if (os.platform() === 'linux') {
      const expected = parseOsRelease(readFileSync('/etc/os-release', 'utf8')).VERSION_ID ?? os.release();
      expect(posture).toMatchObject({ platform: 'linux', osVersion: expected });
    }
  });
});
