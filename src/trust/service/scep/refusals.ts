// The refusals the SCEP service decides (challenges, identities, replays, message types), and the one
// table that says which failInfo a CertRep carries for every refusal code it can meet, including those of
// the shared CSR checks and renewal decisions. docs/scep.md lists them.
import { isLatchkeyError } from '../../../errors.js';
import { ScepRefusalError, type ScepRefusal } from '../../scep/errors.js';
import type { FailInfo } from '../../scep/protocol.js';

export const REFUSALS = {
  challengeMissing: {
    code: 'ERR_SCEP_CHALLENGE_MISSING',
    failInfo: 'badRequest',
    message: 'the certificate request has no challengePassword',
  },
  challengeUnknown: {
    code: 'ERR_SCEP_CHALLENGE_UNKNOWN',
    failInfo: 'badRequest',
    message: 'the challenge is not known for this profile',
  },
  challengeUsed: { code: 'ERR_SCEP_CHALLENGE_USED', failInfo: 'badRequest', message: 'the challenge was already used' },
  challengeExpired: {
    code: 'ERR_SCEP_CHALLENGE_EXPIRED',
    failInfo: 'badRequest',
    message: 'the challenge has expired',
  },
  challengeProfile: {
    code: 'ERR_SCEP_CHALLENGE_PROFILE',
    failInfo: 'badRequest',
    message: 'the challenge was issued for another SCEP profile',
  },
  identityUnknown: {
    code: 'ERR_SCEP_IDENTITY_UNKNOWN',
    failInfo: 'badRequest',
    message: 'the request names no known user (an email or UPN subject alternative name is needed)',
  },
  identityAmbiguous: {
    code: 'ERR_SCEP_IDENTITY_AMBIGUOUS',
    failInfo: 'badRequest',
    message: 'the request names more than one user',
  },
  identityMismatch: {
    code: 'ERR_SCEP_IDENTITY_MISMATCH',
    failInfo: 'badRequest',
    message: 'the request names another user than the one its challenge was issued for',
  },
  userDisabled: { code: 'ERR_USER_DISABLED', failInfo: 'badRequest', message: 'the user is disabled' },
  replay: {
    code: 'ERR_SCEP_REPLAY',
    failInfo: 'badRequest',
    message: 'this request (its senderNonce) was already answered',
  },
  noEnvelope: {
    code: 'ERR_SCEP_ENVELOPE',
    failInfo: 'badMessageCheck',
    message: 'the request carries no pkcsPKIEnvelope',
  },
  messageType: {
    code: 'ERR_SCEP_MESSAGE_TYPE',
    failInfo: 'badRequest',
    message: 'only PKCSReq and RenewalReq are supported',
  },
  signingTime: {
    code: 'ERR_SCEP_SIGNING_TIME',
    failInfo: 'badTime',
    message: "the request's signingTime is too far from the server's clock",
  },
  csrKey: {
    code: 'ERR_SCEP_CSR_KEY',
    failInfo: 'badAlg',
    message: 'SCEP certificates need an RSA key (the answer is encrypted to it)',
  },
  signerMismatch: {
    code: 'ERR_SCEP_SIGNER_MISMATCH',
    failInfo: 'badMessageCheck',
    message: 'a PKCSReq must be signed with the key it asks to certify',
  },
} as const satisfies Record<string, ScepRefusal>;

/** failInfo for codes decided outside scep/: CSR checks, chain verification, renewal and switch decisions. */
const FAIL_INFO_OF: Record<string, FailInfo> = {
  ERR_CSR_MALFORMED: 'badMessageCheck',
  ERR_CSR_NOT_A_CSR: 'badMessageCheck',
  ERR_CSR_TOO_LARGE: 'badRequest',
  ERR_CSR_SIGNATURE: 'badMessageCheck',
  ERR_CSR_WEAK_KEY: 'badAlg',
  ERR_CSR_UNSUPPORTED_KEY: 'badAlg',
  ERR_DEVICE_DISTRIBUTION_OFF: 'badRequest',
  ERR_USER_DISABLED: 'badRequest',
  ERR_RENEWAL_NOT_DUE: 'badRequest',
  ERR_RENEWAL_CONFLICT: 'badRequest',
  ERR_CERT_REVOKED: 'badRequest',
  ERR_DEVICE_REVOKED: 'badRequest',
  // The certificate a RenewalReq names cannot be identified as a standing Latchkey device certificate.
  ERR_CERT_UNKNOWN: 'badCertId',
  ERR_CERT_MALFORMED: 'badCertId',
  ERR_CERT_UNTRUSTED_CHAIN: 'badCertId',
  ERR_CERT_SIGNATURE: 'badCertId',
  ERR_CERT_EXPIRED: 'badCertId',
  ERR_CERT_NOT_YET_VALID: 'badCertId',
  ERR_CERT_NOT_CA: 'badCertId',
  ERR_CERT_PATH_LENGTH: 'badCertId',
  ERR_CERT_NOT_END_ENTITY: 'badCertId',
  ERR_CERT_KEY_USAGE: 'badCertId',
  ERR_CERT_EKU: 'badCertId',
  ERR_CERT_CRITICAL_EXTENSION: 'badCertId',
  ERR_CERT_DEVICE_ID: 'badCertId',
};

/**
 * The refusal a CertRep reports for `error`, or null when `error` is not a refusal (a fault of ours or a
 * dependency: the caller lets it become HTTP 5xx instead of blaming the request).
 */
export function refusalOf(error: unknown): ScepRefusal | null {
  if (error instanceof ScepRefusalError) return { code: error.code, failInfo: error.failInfo, message: error.message };
  if (!isLatchkeyError(error) || error.status >= 500) return null;
  const failInfo = FAIL_INFO_OF[error.code] ?? 'badRequest';
  // Chain problems keep their precise reason in the detail: it is about the device's own certificate.
  const reason = typeof error.detail.reason === 'string' ? `: ${error.detail.reason}` : '';
  return { code: error.code, failInfo, message: `${error.message}${reason}` };
}

/** Throws `refusal` as a ScepRefusalError. */
export function refuse(refusal: ScepRefusal, detail: Record<string, unknown> = {}): never {
  throw ScepRefusalError.from(refusal, detail);
}
