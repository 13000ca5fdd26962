// What an issuing CA is to the rest of Latchkey: our root (the trust anchor), the intermediate that signs
// device certificates and CRLs, and the signer holding the intermediate's key. Built by ca init, ca import
// or loading from storage; never read from a database here.
import type { x509 } from '../x509.js';
import type { CaSigner } from './signer.js';

/** The device CA in use: root, issuing intermediate and a signer for the intermediate's key. */
export interface IssuingCa {
  readonly root: x509.X509Certificate;
  readonly intermediate: x509.X509Certificate;
  /** Signs with the intermediate's private key. */
  readonly signer: CaSigner;
}

/** A freshly generated CA certificate with its key, ready to be stored (key sealed under the master key). */
export interface GeneratedCa {
  readonly certificate: x509.X509Certificate;
  /** PEM of the certificate (one block, ending in "\n"). */
  readonly certificatePem: string;
  /** Unencrypted PKCS#8 PEM of the private key: seal it before it touches storage. */
  readonly privateKeyPem: string;
  readonly signer: CaSigner;
}
