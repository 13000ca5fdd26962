// Typed errors of the device PKI. Each carries a stable code (see docs/device-trust.md) so handlers,
// tests and operators can match on it; messages are safe to show, details are for logs only.
import { InvalidInputError, UnavailableError } from '../errors.js';

/** Stable codes for a certificate signing request that cannot be accepted. */
export type CsrErrorCode =
  | 'ERR_CSR_MALFORMED'
  | 'ERR_CSR_TOO_LARGE'
  | 'ERR_CSR_NOT_A_CSR'
  | 'ERR_CSR_SIGNATURE'
  | 'ERR_CSR_WEAK_KEY'
  | 'ERR_CSR_UNSUPPORTED_KEY';

/** A CSR sent by a device was refused; `code` says why. */
export class CsrError extends InvalidInputError {
  declare readonly code: CsrErrorCode;
  constructor(code: CsrErrorCode, message: string, detail: Record<string, unknown> = {}) {
    super(code, message, detail);
  }
}

/** Stable codes for CA material that cannot be used (init, import or load). */
export type CaErrorCode =
  | 'ERR_CA_MALFORMED'
  | 'ERR_CA_NOT_SELF_SIGNED'
  | 'ERR_CA_NOT_ISSUED_BY_ROOT'
  | 'ERR_CA_NOT_CA'
  | 'ERR_CA_PATH_LENGTH'
  | 'ERR_CA_KEY_USAGE'
  | 'ERR_CA_CRITICAL_EXTENSION'
  | 'ERR_CA_EXPIRED'
  | 'ERR_CA_NOT_YET_VALID'
  | 'ERR_CA_KEY_MISMATCH'
  | 'ERR_CA_KEY_UNSUPPORTED';

/** CA certificates or keys given to Latchkey (by an operator or from storage) are unusable. */
export class CaError extends InvalidInputError {
  declare readonly code: CaErrorCode;
  constructor(code: CaErrorCode, message: string, detail: Record<string, unknown> = {}) {
    super(code, message, detail);
  }
}

/** The CA signer failed (e.g. a KMS/HSM is unreachable): callers fail closed. */
export class CaSignerUnavailableError extends UnavailableError {
  constructor(message: string, cause: unknown) {
    super('ERR_CA_SIGNER_UNAVAILABLE', message, { cause });
  }
}

/** An argument to a trust function is out of range (bad device id, serial, lifetime or fraction). */
export class TrustParameterError extends InvalidInputError {
  constructor(message: string, detail: Record<string, unknown> = {}) {
    super('ERR_TRUST_PARAMETER', message, detail);
  }
}
