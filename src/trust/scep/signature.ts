// Verifying a pkiMessage's signature: the signer must hold an RSA key of an accepted size (its certificate
// is also where the answer gets encrypted, and SCEP encrypts by RSA key transport), use SHA-256 or
// stronger, and the signature over the signed attributes (which bind the content by its digest) must
// verify with the key in the signer's certificate. Who the signer is, is decided elsewhere.
import * as asn1js from 'asn1js';
import { ScepRefusalError } from './errors.js';
import type { PkiMessage } from './pki-message.js';

/** Digest algorithms accepted in a request: what GetCACaps promises (SHA-256) and stronger. */
const ACCEPTED_DIGESTS: Record<string, string> = {
  '2.16.840.1.101.3.4.2.1': 'SHA-256',
  '2.16.840.1.101.3.4.2.2': 'SHA-384',
  '2.16.840.1.101.3.4.2.3': 'SHA-512',
};
const WEAK_DIGESTS: Record<string, string> = { '1.3.14.3.2.26': 'SHA-1', '1.2.840.113549.2.5': 'MD5' };

export interface SignerKeyLimits {
  minRsaBits: number;
  /** Bounds what verifying one signature can cost. */
  maxRsaBits: number;
}

/** Throws ScepRefusalError (ERR_SCEP_SIGNER_KEY, ERR_SCEP_DIGEST_ALGORITHM, ERR_SCEP_SIGNATURE) unless it verifies. */
export async function verifyPkiSignature(message: PkiMessage, limits: SignerKeyLimits): Promise<void> {
  checkSignerKey(message, limits);
  if (!ACCEPTED_DIGESTS[message.digestAlgorithm]) {
    const name = WEAK_DIGESTS[message.digestAlgorithm] ?? message.digestAlgorithm;
    throw new ScepRefusalError(
      'ERR_SCEP_DIGEST_ALGORITHM',
      'badAlg',
      `the digest ${name} is not accepted (use SHA-256)`,
    );
  }
  const { signedData } = message;
  // pkijs refuses to verify without content; absent content is the empty string its messageDigest covers
  // (a FAILURE CertRep has none).
  if (!signedData.encapContentInfo.eContent) signedData.encapContentInfo.eContent = new asn1js.OctetString();
  const verified = await signedData.verify({ signer: 0, checkChain: false }).catch(() => false);
  if (verified !== true) {
    throw new ScepRefusalError(
      'ERR_SCEP_SIGNATURE',
      'badMessageCheck',
      "the pkiMessage's signature does not verify with its signer's certificate",
    );
  }
}

function checkSignerKey(message: PkiMessage, limits: SignerKeyLimits): void {
  let algorithm: Algorithm;
  try {
    algorithm = message.signer.publicKey.algorithm;
  } catch {
    throw new ScepRefusalError('ERR_SCEP_SIGNER_KEY', 'badAlg', "the signer's key type is not supported (use RSA)");
  }
  if (algorithm.name !== 'RSASSA-PKCS1-v1_5') {
    throw new ScepRefusalError(
      'ERR_SCEP_SIGNER_KEY',
      'badAlg',
      `SCEP needs an RSA key (the answer is encrypted to it), the signer has ${algorithm.name}`,
    );
  }
  const bits = (algorithm as RsaKeyAlgorithm).modulusLength;
  if (bits < limits.minRsaBits || bits > limits.maxRsaBits) {
    throw new ScepRefusalError(
      'ERR_SCEP_SIGNER_KEY',
      'badAlg',
      `the signer's RSA key has ${bits} bits, accepted are ${limits.minRsaBits} to ${limits.maxRsaBits}`,
    );
  }
}
