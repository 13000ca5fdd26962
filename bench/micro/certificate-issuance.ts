// Device certificates issued per second by the pure issuing code (P-384 intermediate, P-256 device key),
// against the floor measured in the same run: one raw ECDSA P-384 signature over a certificate-sized body.
import { performance } from 'node:perf_hooks';
import { createDeviceCa } from '../../src/trust/ca/create.js';
import { issueDeviceCertificate } from '../../src/trust/ca/issue.js';

export interface IssuanceResult {
  name: string;
  opsPerSecond: number;
  baselineOpsPerSecond: number;
  ratio: number;
}

async function rate(work: () => Promise<unknown>, seconds: number): Promise<number> {
  let count = 0;
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    await work();
    count += 1;
  }
  return count / seconds;
}

/** Issuance and raw signing, `seconds` each after a short warm-up. */
export async function certificateIssuanceBenchmark(seconds = 2): Promise<IssuanceResult> {
  const now = new Date();
  const { root, intermediate } = await createDeviceCa({ now });
  const ca = { root: root.certificate, intermediate: intermediate.certificate, signer: intermediate.signer };
  const device = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const issuerKey = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-384' }, false, ['sign']);
  const body = new Uint8Array(700);
  let n = 0;
  const issue = () =>
    issueDeviceCertificate({
      ca,
      publicKey: device.publicKey,
      deviceId: `bench-${(n += 1)}`,
      now,
      crlUrl: 'https://localhost:8443/device/crl',
    });
  const sign = () => crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-384' }, issuerKey.privateKey, body);
  await rate(issue, 0.3);
  await rate(sign, 0.3);
  const opsPerSecond = await rate(issue, seconds);
  const baselineOpsPerSecond = await rate(sign, seconds);
  return {
    name: 'certificate-issuance (issueDeviceCertificate vs one raw P-384 signature)',
    opsPerSecond,
    baselineOpsPerSecond,
    ratio: opsPerSecond / baselineOpsPerSecond,
  };
}

/** The line `npm run bench` prints. */
export function formatIssuance(result: IssuanceResult): string {
  return (
    `${result.name}: ${result.opsPerSecond.toFixed(0)} certificates/s, ` +
    `${result.baselineOpsPerSecond.toFixed(0)} raw signatures/s (${result.ratio.toFixed(2)}×)`
  );
}
