// An enrolled device for agent tests: a fresh CA, a device key made by the agent code and a certificate
// issued by the trust code, all created at test start.
import { describeIfAvailable } from '../../helpers/ci.js';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { newDeviceKey } from '../../../src/agent/keys.js';
import { issueDeviceCertificate } from '../../../src/trust/ca/issue.js';
import { parseAndVerifyCsr } from '../../../src/trust/csr.js';
import { CRL_URL, makeCa, NOW, type TestCa } from '../trust/fixtures.js';

export interface TestDevice {
  testCa: TestCa;
  privateKeyPem: string;
  certificatePem: string;
  chainPem: string[];
  serial: string;
}

/** A CA and one device certificate for a key generated like the agent does. */
export async function makeDevice(testCa?: TestCa, deviceId = 'dev-agent-1', now = NOW): Promise<TestDevice> {
  const ca = testCa ?? (await makeCa());
  const key = await newDeviceKey('test-host');
  const csr = await parseAndVerifyCsr(key.csrPem);
  const issued = await issueDeviceCertificate({ ca: ca.ca, publicKey: csr.publicKey, deviceId, now, crlUrl: CRL_URL });
  return {
    testCa: ca,
    privateKeyPem: key.privateKeyPem,
    certificatePem: issued.certificatePem,
    chainPem: issued.chainPem,
    serial: issued.serial,
  };
}

/** True if certutil and pk12util (Debian libnss3-tools) are on PATH. */
export function hasNssTools(): boolean {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  return ['certutil', 'pk12util'].every((tool) => dirs.some((dir) => existsSync(path.join(dir, tool))));
}

/** `describe` when NSS tools are installed, else a skipped block that says why (a failure under CI). */
export function describeWithNss(name: string, body: () => void): void {
  const availability = hasNssTools()
    ? ({ ok: true } as const)
    : ({ ok: false, reason: 'certutil/pk12util not installed (apt install libnss3-tools)' } as const);
  describeIfAvailable(name, availability, body);
}
