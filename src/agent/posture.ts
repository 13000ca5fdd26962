// What the agent reports about the device at enrollment: platform, OS version, host name and an integrity
// hint. All of it is self-reported by software on the device: useful for policy and inventory, never proof.
import { readFile } from 'node:fs/promises';
import os from 'node:os';

export type DevicePlatform = 'linux' | 'macos' | 'windows' | 'other';

/**
 * `secure-boot-on`/`secure-boot-off`: read from UEFI variables (Linux); `unknown`: not readable. Self-reported.
 */
export type PostureIntegrity = 'secure-boot-on' | 'secure-boot-off' | 'unknown';

export interface DevicePosture {
  platform: DevicePlatform;
  osVersion: string;
  hostname: string;
  integrity: PostureIntegrity;
}

/** Where posture is read from; tests replace these. */
export interface PostureSources {
  platform: NodeJS.Platform;
  release: string;
  hostname: string;
  readText: (file: string) => Promise<string | null>;
  readBytes: (file: string) => Promise<Uint8Array | null>;
}

const SECURE_BOOT_VAR = '/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c';

/** The OS as Node sees it, with file reads that answer null for a missing or unreadable file. */
export function systemPostureSources(): PostureSources {
  return {
    platform: os.platform(),
    release: os.release(),
    hostname: os.hostname(),
    readText: (file) => readFile(file, 'utf8').catch(() => null),
    readBytes: (file) =>
      readFile(file).then(
        (buffer) => new Uint8Array(buffer),
        () => null,
      ),
  };
}

/** Collects the device posture: on Linux the OS version is VERSION_ID from /etc/os-release. */
export async function collectPosture(sources: PostureSources = systemPostureSources()): Promise<DevicePosture> {
  const platform = platformName(sources.platform);
  let osVersion = sources.release;
  if (platform === 'linux') {
    const osRelease = (await sources.readText('/etc/os-release')) ?? (await sources.readText('/usr/lib/os-release'));
    osVersion = (osRelease && parseOsRelease(osRelease).VERSION_ID) || sources.release;
  }
  const integrity = platform === 'linux' ? secureBootState(await sources.readBytes(SECURE_BOOT_VAR)) : 'unknown';
  return { platform, osVersion, hostname: sources.hostname, integrity };
}

/** Maps Node's platform name to Latchkey's. */
export function platformName(platform: NodeJS.Platform): DevicePlatform {
  if (platform === 'linux') return 'linux';
  if (platform === 'darwin') return 'macos';
  if (platform === 'win32') return 'windows';
  return 'other';
}

/** Parses os-release(5) text (KEY=value lines, values optionally quoted) into a record. */
export function parseOsRelease(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!match) continue;
    const raw = match[2]!.trim();
    const quoted = /^(["'])(.*)\1$/.exec(raw);
    fields[match[1]!] = quoted ? quoted[2]!.replace(/\\(["'$`\\])/g, '$1') : raw;
  }
  return fields;
}

/** Reads the UEFI SecureBoot variable: 4 attribute bytes, then 1 when Secure Boot is on. */
export function secureBootState(variable: Uint8Array | null): PostureIntegrity {
  if (!variable || variable.length < 5) return 'unknown';
  return variable[4] === 1 ? 'secure-boot-on' : 'secure-boot-off';
}
