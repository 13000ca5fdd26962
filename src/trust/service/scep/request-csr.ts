// The certificate request inside a decrypted pkcsPKIEnvelope: parsed (for its claims) and checked like
// every CSR Latchkey accepts (csr.ts: key policy, proof of possession), and RSA, because SCEP answers are
// encrypted to the requester's key. Content that decrypts to no CSR at all is refused exactly like content
// that does not decrypt (envelope.ts explains why).
import { parseAndVerifyCsr, type VerifiedCsr } from '../../csr.js';
import { toArrayBuffer, toPem } from '../../pem.js';
import { undecryptableRequest } from '../../scep/envelope.js';
import { x509 } from '../../x509.js';
import { refuse, REFUSALS } from './refusals.js';

export interface RequestCsr {
  parsed: x509.Pkcs10CertificateRequest;
  verified: VerifiedCsr;
}

/** The verified CSR in `content`; throws ScepRefusalError or CsrError (ERR_CSR_*). */
export async function readRequestCsr(content: Uint8Array): Promise<RequestCsr> {
  let parsed: x509.Pkcs10CertificateRequest;
  try {
    parsed = new x509.Pkcs10CertificateRequest(toArrayBuffer(content));
  } catch {
    throw undecryptableRequest();
  }
  const verified = await parseAndVerifyCsr(toPem(toArrayBuffer(content), 'CERTIFICATE REQUEST'));
  if (!verified.keyAlgorithm.startsWith('RSA-')) refuse(REFUSALS.csrKey, { keyAlgorithm: verified.keyAlgorithm });
  return { parsed, verified };
}
