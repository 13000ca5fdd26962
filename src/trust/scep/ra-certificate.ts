// The SCEP RA certificate: an RSA key (SCEP clients encrypt to it by RSA key transport) certified by our
// intermediate for exactly two uses, keyEncipherment (requests are encrypted to it) and digitalSignature
// (CertReps are signed with it). Not a CA, no EKU: it can neither issue nor act as a device or a server.
import { checkValidity } from '../constraints.js';
import { authorityKeyIdentifier } from '../ca/create.js';
import type { IssuingCa } from '../ca/authority.js';
import { x509SigningParams } from '../ca/signer.js';
import { CaError, TrustParameterError } from '../errors.js';
import { CLOCK_SKEW_MS, SCEP_RA_COMMON_NAME } from '../profile.js';
import { randomSerial } from '../serial.js';
import { x509 } from '../x509.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface IssueRaCertificateInput {
  ca: IssuingCa;
  /** The RA's RSA public key. */
  publicKey: CryptoKey;
  now: Date;
  /** Days until it expires (never past the intermediate's own expiry). */
  lifetimeDays: number;
}

/** Issues the RA certificate: CN "Latchkey SCEP RA", KU digitalSignature + keyEncipherment (critical), CA:false. */
export async function issueRaCertificate(input: IssueRaCertificateInput): Promise<x509.X509Certificate> {
  const { ca, now } = input;
  if (!Number.isInteger(input.lifetimeDays) || input.lifetimeDays < 1 || input.lifetimeDays > 3650) {
    throw new TrustParameterError('RA certificate lifetime must be 1 to 3650 days', { days: input.lifetimeDays });
  }
  if (input.publicKey.algorithm.name !== 'RSASSA-PKCS1-v1_5' && input.publicKey.algorithm.name !== 'RSA-OAEP') {
    throw new TrustParameterError('the SCEP RA key must be RSA', { algorithm: input.publicKey.algorithm.name });
  }
  const problem = checkValidity(ca.intermediate, now, 'intermediate CA');
  if (problem)
    throw new CaError(problem.problem === 'expired' ? 'ERR_CA_EXPIRED' : 'ERR_CA_NOT_YET_VALID', problem.reason);
  const requestedEnd = new Date(now.getTime() + input.lifetimeDays * DAY_MS);
  const publicKey = await x509.PublicKey.create(input.publicKey);
  const signing = x509SigningParams(ca.signer);
  return x509.X509CertificateGenerator.create(
    {
      serialNumber: randomSerial(),
      subject: new x509.Name([{ CN: [SCEP_RA_COMMON_NAME] }]),
      issuer: ca.intermediate.subjectName,
      notBefore: new Date(now.getTime() - CLOCK_SKEW_MS),
      notAfter: requestedEnd < ca.intermediate.notAfter ? requestedEnd : ca.intermediate.notAfter,
      publicKey,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
        await x509.SubjectKeyIdentifierExtension.create(publicKey),
        await authorityKeyIdentifier(ca.intermediate),
      ],
      ...signing.params,
    },
    signing.crypto,
  );
}
