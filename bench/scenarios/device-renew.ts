// Device renewal, certificates per second: each worker is one enrolled device that renews its current
// certificate over mutual TLS on the device-check listener (a new TLS connection presenting the
// certificate, as the agent makes one per run); Latchkey verifies the chain, checks the database, signs
// the next certificate and supersedes the old one. No comparable baseline, so no ratio.
import { enrolledDevices, mutualTlsFetch, type BenchDevice } from '../lib/devices.js';
import type { LatchkeyTarget } from '../lib/latchkey.js';
import type { LatchkeyScenario } from '../lib/scenario.js';

export const deviceRenew: LatchkeyScenario = {
  kind: 'latchkey',
  name: 'device-renew',
  comparedWith: null,
  async prepare(target, workers) {
    const devices = await enrolledDevices(target, workers);
    return async (worker) => {
      const device = devices[worker]!;
      device.certificatePem = await renew(target, device);
    };
  },
};

/** POST /device/renew with the device's current certificate; resolves with the new certificate's PEM. */
async function renew(target: LatchkeyTarget, device: BenchDevice): Promise<string> {
  const tls = mutualTlsFetch(target, device);
  try {
    const response = await tls.fetch(`${target.deviceCheckUrl}/device/renew`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: '{}',
    });
    const body = (await response.json()) as { certificate?: string; deviceId?: string };
    if (response.status !== 200 || body.deviceId !== device.deviceId || !body.certificate) {
      throw new Error(`renewal failed: ${response.status} ${JSON.stringify(body)}`);
    }
    return body.certificate;
  } finally {
    await tls.close();
  }
}
