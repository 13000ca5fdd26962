// Device enrollment, certificates per second: POST /device/enroll with a fresh single-use token, a CSR
// and posture; Latchkey verifies the CSR, consumes the token, records the device and signs its first
// certificate in one transaction. Tokens were seeded before the server started and keys are made before
// timing (admin and device work). The bare provider has nothing comparable, so there is no ratio.
import { deviceKeys, enroll, takeEnrollmentToken } from '../lib/devices.js';
import type { LatchkeyScenario } from '../lib/scenario.js';

/** Distinct device keys to cycle through (the server's cost does not depend on the key being new). */
const KEYS = 16;

export const deviceEnroll: LatchkeyScenario = {
  kind: 'latchkey',
  name: 'device-enroll',
  comparedWith: null,
  async prepare(target) {
    const keys = await deviceKeys(KEYS);
    let next = 0;
    return async () => {
      await enroll(target, takeEnrollmentToken(target), keys[next++ % KEYS]!);
    };
  },
};
