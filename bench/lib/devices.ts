// What the device-certificate scenarios share: a device CA on the Latchkey under test, device keys and
// CSRs made before timing (that work happens on devices), enrollment tokens, and one enrollment over the
// real endpoint.
import { newDeviceKey } from '../../src/agent/keys.js';
import type { TestServer } from '../../test/helpers/server.js';
import { BENCH_USERNAME } from './latchkey.js';

export interface BenchDevice {
  deviceId: string;
  certificatePem: string;
  chainPem: string[];
  privateKeyPem: string;
}

/** Creates the device CA unless one exists. */
export async function ensureDeviceCa(server: TestServer): Promise<void> {
  const trust = server.app.services.deviceTrust;
  if (!(await trust.showCa())) await trust.initCa({ actor: 'bench' });
}

/** `count` device keys with their CSRs (P-256, as the agent makes them). */
export function deviceKeys(count: number): Promise<Array<{ csrPem: string; privateKeyPem: string }>> {
  return Promise.all(Array.from({ length: count }, () => newDeviceKey('bench-device')));
}

/** A fresh single-use enrollment token for the bench user. */
export async function enrollmentToken(server: TestServer): Promise<string> {
  const created = await server.app.services.deviceTrust.createEnrollmentToken(BENCH_USERNAME, { actor: 'bench' });
  return created.token;
}

/** POST /device/enroll; throws unless a certificate was issued. */
export async function enroll(
  server: TestServer,
  token: string,
  key: { csrPem: string; privateKeyPem: string },
): Promise<BenchDevice> {
  const response = await server.fetch(`${server.issuer}/device/enroll`, {
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
