// Device enrollment, certificates per second: POST /device/enroll with a fresh single-use token, a CSR
// and posture; Latchkey verifies the CSR, consumes the token, records the device and signs its first
// certificate in one transaction. Tokens and keys are made before timing (admin and device work). The
// bare provider has nothing comparable, so there is no ratio.
import type { Scenario } from '../lib/scenario.js';
import { deviceKeys, enroll, enrollmentToken, ensureDeviceCa } from '../lib/devices.js';
import { latchkeyServer } from '../lib/latchkey.js';

/** Distinct device keys to cycle through (the server's cost does not depend on the key being new). */
const KEYS = 16;

export const deviceEnroll: Scenario = {
  name: 'device-enroll',
  baselineFrom: null,
  async prepare(target, workers) {
    const server = latchkeyServer(target);
    await ensureDeviceCa(server);
    const keys = await deviceKeys(KEYS);
    // One token per iteration, made up front; should a run outlast the pool, tokens are made inline.
    const poolSize = Number(process.env.BENCH_ITERATIONS ?? 200) + 4 * workers;
    const tokens: string[] = [];
    for (let i = 0; i < poolSize; i++) tokens.push(await enrollmentToken(server));
    let next = 0;
    return async () => {
      const token = tokens.pop() ?? (await enrollmentToken(server));
      await enroll(server, token, keys[next++ % KEYS]!);
    };
  },
};
