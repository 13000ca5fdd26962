// A complete sign-in proven by the device certificate alone (a policy lets trusted devices sign in on
// their own): authorization request, the device check on a new mutual-TLS connection (as a browser makes
// one per device-check origin visit), the hand-off back, code, token exchange with PKCE. Compared with the
// bare provider's code flow for someone not signed in. The device-check listener's own time per request
// (from request to response, TLS handshake excluded) is recorded for its p99.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { HttpUser, expectCallback } from '../../test/helpers/http-user.js';
import { adminCli, mutualTlsFetch } from '../../test/integration/device-trust/helpers.js';
import { type BenchDevice, deviceKeys, enroll, enrollmentToken, ensureDeviceCa } from '../lib/devices.js';
import { latchkeyServer } from '../lib/latchkey.js';
import type { Scenario } from '../lib/scenario.js';
import { relyingPartyOf } from '../lib/scenario.js';

/** Durations (ms) of the device-check listener's requests during the scenario. */
export const deviceCheckHandlerMs: number[] = [];

export const deviceCertificateFlow: Scenario = {
  name: 'device-certificate-flow',
  baselineFrom: 'code-flow-password',
  async prepare(target, workers) {
    const server = latchkeyServer(target);
    await ensureDeviceCa(server);
    const file = path.join(server.dataDir, 'bench-policies.yaml');
    writeFileSync(
      file,
      `default: allow
policies:
  - { name: managed-only, state: enabled, conditions: { device: [unmanaged] }, outcome: deny }
  - { name: devices-sign-in, state: enabled, conditions: { device: [trusted, managed] }, outcome: allow, sign_in_with: [device_certificate] }
`,
    );
    const published = await adminCli(server, { LATCHKEY_POLICIES: file })(['policy', 'reload']);
    if (published.status !== 0) throw new Error(`policy reload failed: ${published.stderr}`);
    await server.app.syncCluster();
    const devices: BenchDevice[] = [];
    for (const key of await deviceKeys(workers)) devices.push(await enroll(server, await enrollmentToken(server), key));
    server.app.deviceCheckServer!.on('request', (_req, res) => {
      const started = performance.now();
      res.on('finish', () => deviceCheckHandlerMs.push(performance.now() - started));
    });
    const rp = await relyingPartyOf(target, target.codeClient);
    return async (worker) => {
      const tls = mutualTlsFetch(server, devices[worker]!);
      try {
        const browser = new HttpUser(server.fetch, server.issuer).onDevice(tls.fetch);
        const started = await rp.start();
        await rp.finish(expectCallback(await browser.go(started.url)), started);
      } finally {
        await tls.close();
      }
    };
  },
};
