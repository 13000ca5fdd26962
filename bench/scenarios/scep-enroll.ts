// SCEP enrollment, certificates per second: POST ?operation=PKIOperation with a PKCSReq (static challenge,
// the user named by an email SAN, as an MDM fills it in); Latchkey verifies the signature, decrypts the
// envelope, checks the CSR and challenge, records the device, signs the certificate and answers with a
// CertRep encrypted to the device. The requests are built before timing (that work happens on devices),
// each with its own transaction id and nonce. The bare provider has nothing comparable: no ratio.
import { certificatesOf } from '../../src/trust/scep/certs-only.js';
import { parsePkiMessage } from '../../src/trust/scep/pki-message.js';
import { PKI_STATUS } from '../../src/trust/scep/protocol.js';
import {
  buildPkiRequest,
  certificateRequest,
  newRequesterKey,
  selfSignedCertificate,
} from '../../src/trust/scep/requester.js';
import type { x509 } from '../../src/trust/x509.js';
import { BENCH_SCEP_PROFILE, BENCH_USERNAME, type LatchkeyTarget } from '../lib/latchkey.js';
import type { LatchkeyScenario } from '../lib/scenario.js';

/** Distinct device keys to cycle through (RSA keys are slow to make; the server's cost does not depend on it). */
const KEYS = 8;
/** Requests built ahead of timing; more are built inline should a run outlast them. */
const POOL = 600;

export const scepEnroll: LatchkeyScenario = {
  kind: 'latchkey',
  name: 'scep-enroll',
  comparedWith: null,
  async prepare(target) {
    const services = await target.openServices();
    let challenge: string;
    try {
      challenge = await services.scep.rotateStaticChallenge(BENCH_SCEP_PROFILE, { actor: 'bench' });
    } finally {
      await services.close();
    }
    const [ra] = await caCertificates(target);
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
    const build = (i: number) =>
      buildPkiRequest({ messageType: 'PKCSReq', ...devices[i % KEYS]!, recipient: ra!, now: new Date() });
    const requests = await Promise.all(Array.from({ length: POOL }, (_, i) => build(i)));
    let next = POOL;
    return async () => {
      const request = requests.pop() ?? (await build(next++));
      await pkiOperation(target, request.der);
    };
  },
};

async function caCertificates(target: LatchkeyTarget): Promise<x509.X509Certificate[]> {
  const response = await target.fetch(`${target.issuer}/scep/${BENCH_SCEP_PROFILE}?operation=GetCACert`);
  if (response.status !== 200) throw new Error(`GetCACert failed: ${response.status}`);
  return certificatesOf(new Uint8Array(await response.arrayBuffer()));
}

/** POSTs one pkiMessage; throws unless the CertRep says SUCCESS. */
async function pkiOperation(target: LatchkeyTarget, der: Uint8Array): Promise<void> {
  const response = await target.fetch(`${target.issuer}/scep/${BENCH_SCEP_PROFILE}?operation=PKIOperation`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-pki-message' },
    body: Buffer.from(der),
  });
  const body = new Uint8Array(await response.arrayBuffer());
  if (response.status !== 200) throw new Error(`PKIOperation failed: ${response.status} ${Buffer.from(body)}`);
  const answer = parsePkiMessage(body);
  if (answer.pkiStatus !== PKI_STATUS.SUCCESS) throw new Error(`PKIOperation refused: ${answer.failInfoText}`);
}
