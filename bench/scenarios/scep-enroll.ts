// SCEP enrollment, certificates per second: POST ?operation=PKIOperation with a PKCSReq (static challenge,
// the user named by an email SAN, as an MDM fills it in); Latchkey verifies the signature, decrypts the
// envelope, checks the CSR and challenge, records the device, signs the certificate and answers with a
// CertRep encrypted to the device. The requests are built before timing (that work happens on devices),
// each with its own sender nonce. The bare provider has nothing comparable, so there is no ratio.
import { certificatesOf } from '../../src/trust/scep/certs-only.js';
import { parsePkiMessage } from '../../src/trust/scep/pki-message.js';
import { PKI_STATUS } from '../../src/trust/scep/protocol.js';
import {
  buildPkiRequest,
  certificateRequest,
  newRequesterKey,
  selfSignedCertificate,
} from '../../src/trust/scep/requester.js';
import type { TestServer } from '../../test/helpers/server.js';
import { ensureDeviceCa } from '../lib/devices.js';
import { BENCH_SCEP_PROFILE, BENCH_USERNAME, latchkeyServer } from '../lib/latchkey.js';
import type { Scenario } from '../lib/scenario.js';

/** Distinct device keys to cycle through (RSA keys are slow to make; the server's cost does not depend on it). */
const KEYS = 8;

export const scepEnroll: Scenario = {
  name: 'scep-enroll',
  baselineFrom: null,
  async prepare(target, workers) {
    const server = latchkeyServer(target);
    await ensureDeviceCa(server);
    const challenge = await server.app.services.scep.rotateStaticChallenge(BENCH_SCEP_PROFILE, { actor: 'bench' });
    const [ra] = await caCertificates(server);
    const now = new Date();
    const devices = await Promise.all(
      Array.from({ length: KEYS }, async (_, i) => {
        const key = await newRequesterKey();
        const subject = `CN=bench-scep-${i}`;
        const csr = await certificateRequest({
          keys: key.keys,
          subject,
          challenge,
          names: [{ type: 'email', value: `${BENCH_USERNAME}@example.com` }],
        });
        const certificate = await selfSignedCertificate(key.keys, subject, now);
        return { csr, signer: { certificate, privateKey: key.keys.privateKey } };
      }),
    );
    const build = (i: number) => {
      const device = devices[i % KEYS]!;
      return buildPkiRequest({ messageType: 'PKCSReq', ...device, recipient: ra!, now: new Date() });
    };
    // One request per iteration (each nonce is answered once); should a run outlast the pool, more are built inline.
    const poolSize = Number(process.env.BENCH_ITERATIONS ?? 200) + 4 * workers;
    const requests = await Promise.all(Array.from({ length: poolSize }, (_, i) => build(i)));
    let next = poolSize;
    return async () => {
      const request = requests.pop() ?? (await build(next++));
      await pkiOperation(server, request.der);
    };
  },
};

async function caCertificates(server: TestServer) {
  const response = await server.fetch(`${server.issuer}/scep/${BENCH_SCEP_PROFILE}?operation=GetCACert`);
  if (response.status !== 200) throw new Error(`GetCACert failed: ${response.status}`);
  return certificatesOf(new Uint8Array(await response.arrayBuffer()));
}

/** POSTs one pkiMessage; throws unless the CertRep says SUCCESS. */
async function pkiOperation(server: TestServer, der: Uint8Array): Promise<void> {
  const response = await server.fetch(`${server.issuer}/scep/${BENCH_SCEP_PROFILE}?operation=PKIOperation`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-pki-message' },
    body: Buffer.from(der),
  });
  const body = new Uint8Array(await response.arrayBuffer());
  if (response.status !== 200)
    throw new Error(`PKIOperation failed: ${response.status} ${Buffer.from(body).toString()}`);
  const answer = parsePkiMessage(body);
  if (answer.pkiStatus !== PKI_STATUS.SUCCESS) throw new Error(`PKIOperation refused: ${answer.failInfoText}`);
}
