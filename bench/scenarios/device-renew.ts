// Device renewal, certificates per second: each worker is one enrolled device that renews its current
// certificate over mutual TLS on the device-check listener (a new TLS connection presenting the
// certificate, as the agent makes one per run); Latchkey verifies the chain, checks the database, signs
// the next certificate and supersedes the old one. No comparable baseline, so no ratio.
import { Agent, fetch } from 'undici';
import { joinPem } from '../../src/trust/pem.js';
import type { Scenario } from '../lib/scenario.js';
import { type BenchDevice, deviceKeys, enroll, enrollmentToken, ensureDeviceCa } from '../lib/devices.js';
import { latchkeyServer } from '../lib/latchkey.js';
import type { TestServer } from '../../test/helpers/server.js';

export const deviceRenew: Scenario = {
  name: 'device-renew',
  baselineFrom: null,
  async prepare(target, workers) {
    const server = latchkeyServer(target);
    await ensureDeviceCa(server);
    const devices: BenchDevice[] = [];
    for (const key of await deviceKeys(workers)) devices.push(await enroll(server, await enrollmentToken(server), key));
    return async (worker) => {
      const device = devices[worker]!;
      device.certificatePem = await renew(server, device);
    };
  },
};

/** POST /device/renew with the device's current certificate; resolves with the new certificate's PEM. */
async function renew(server: TestServer, device: BenchDevice): Promise<string> {
  const dispatcher = new Agent({
    connect: {
      ca: server.app.tls.cert,
      cert: joinPem([device.certificatePem, ...device.chainPem]),
      key: device.privateKeyPem,
    },
  });
  try {
    const response = await fetch(`${server.deviceCheckUrl}/device/renew`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: '{}',
      dispatcher,
    });
    const body = (await response.json()) as { certificate?: string; deviceId?: string };
    if (response.status !== 200 || body.deviceId !== device.deviceId || !body.certificate) {
      throw new Error(`renewal failed: ${response.status} ${JSON.stringify(body)}`);
    }
    return body.certificate;
  } finally {
    await dispatcher.close();
  }
}
