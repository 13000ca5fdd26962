// What the device-certificate scenarios share: device keys and CSRs made before timing (that work happens
// on devices), enrollment over the real endpoint with the tokens seeded before the server started, and
// a fetch presenting a device's certificate over mutual TLS.
import { Agent, fetch as undiciFetch } from 'undici';
import { newDeviceKey } from '../../src/agent/keys.js';
import { joinPem } from '../../src/trust/pem.js';
import type { TestServer } from '../../test/helpers/server.js';
import type { LatchkeyTarget } from './latchkey.js';
import type { Target } from './target.js';

export interface BenchDevice {
  deviceId: string;
  certificatePem: string;
  chainPem: string[];
  privateKeyPem: string;
}

export type DeviceKey = { csrPem: string; privateKeyPem: string };

/** `count` device keys with their CSRs (P-256, as the agent makes them). */
export function deviceKeys(count: number): Promise<DeviceKey[]> {
  return Promise.all(Array.from({ length: count }, () => newDeviceKey('bench-device')));
}

/** One of the seeded single-use enrollment tokens; throws when the run has used them all. */
export function takeEnrollmentToken(target: LatchkeyTarget): string {
  const token = target.enrollmentTokens.pop();
  if (!token) throw new Error('bench: out of enrollment tokens (seed more: see seedFor in bench/run.ts)');
  return token;
}

/** POST /device/enroll; throws unless a certificate was issued. */
export async function enroll(target: LatchkeyTarget, token: string, key: DeviceKey): Promise<BenchDevice> {
  const response = await target.fetch(`${target.issuer}/device/enroll`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ token, csr: key.csrPem, posture: { platform: 'linux', hostname: 'bench-device' } }),
  });
  const body = (await response.json()) as { deviceId: string; certificate: string; chain: string[] };
  if (response.status !== 201) throw new Error(`enrollment failed: ${response.status} ${JSON.stringify(body)}`);
  return {
    deviceId: body.deviceId,
    certificatePem: body.certificate,
    chainPem: body.chain,
    privateKeyPem: key.privateKeyPem,
  };
}

/** `count` devices of the bench user, enrolled now (untimed). */
export async function enrolledDevices(target: LatchkeyTarget, count: number): Promise<BenchDevice[]> {
  const devices: BenchDevice[] = [];
  for (const key of await deviceKeys(count)) devices.push(await enroll(target, takeEnrollmentToken(target), key));
  return devices;
}

/** A fetch whose connections present `device`'s certificate (its own pool: close it after use). */
export function mutualTlsFetch(
  target: Pick<Target, 'ca'>,
  device: BenchDevice,
): { fetch: typeof globalThis.fetch; close(): Promise<void> } {
  const agent = new Agent({
    connect: { ca: target.ca, cert: joinPem([device.certificatePem, ...device.chainPem]), key: device.privateKeyPem },
  });
  const bound = ((input: Parameters<typeof undiciFetch>[0], init?: Parameters<typeof undiciFetch>[1]) =>
    undiciFetch(input, { ...init, dispatcher: agent })) as unknown as typeof globalThis.fetch;
  return { fetch: bound, close: () => agent.close() };
}

/**
 * The test helpers for passkeys and the emulated Okta take a TestServer but read only its issuer and
 * fetch: this view gives them those of a server in another process.
 */
export function asTestServer(target: Pick<Target, 'issuer' | 'fetch'>): TestServer {
  return { issuer: target.issuer, fetch: target.fetch } as TestServer;
}
