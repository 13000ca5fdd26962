// Refusals of the device-trust service, each with a stable code (docs/device-trust.md lists them) and the
// HTTP status it is answered with. The agent matches on some of them: ERR_RENEWAL_NOT_DUE (not an error,
// try later) and ERR_DEVICE_DISTRIBUTION_OFF (remove the certificate).
import { LatchkeyError } from '../../errors.js';

const STATUS = {
  ERR_CA_NOT_INITIALIZED: 503,
  ERR_CA_EXISTS: 409,
  ERR_CA_ROOT_KEY_NOT_HELD: 409,
  ERR_ENROLLMENT_TOKEN_UNKNOWN: 401,
  ERR_ENROLLMENT_TOKEN_USED: 401,
  ERR_ENROLLMENT_TOKEN_EXPIRED: 401,
  ERR_ENROLLMENT_TOKEN_TTL: 400,
  ERR_USER_DISABLED: 403,
  ERR_DEVICE_DISTRIBUTION_OFF: 403,
  ERR_CERT_MISSING: 401,
  ERR_CERT_UNKNOWN: 401,
  ERR_CERT_REVOKED: 403,
  ERR_DEVICE_REVOKED: 403,
  ERR_RENEWAL_NOT_DUE: 409,
  ERR_RENEWAL_CONFLICT: 409,
  ERR_DEVICE_NOT_FOUND: 404,
  ERR_CERT_NOT_FOUND: 404,
  ERR_DEVICE_ALREADY_REVOKED: 409,
  ERR_CERT_ALREADY_REVOKED: 409,
  ERR_REVOCATION_REASON: 400,
} as const;

export type DeviceTrustErrorCode = keyof typeof STATUS;

/** A refusal as a value: what pure decisions return, and what DeviceTrustError carries. */
export interface Refusal {
  code: DeviceTrustErrorCode;
  message: string;
}

/** The device-trust service refused; `code` says why, `status` is the HTTP answer. */
export class DeviceTrustError extends LatchkeyError {
  declare readonly code: DeviceTrustErrorCode;
  constructor(code: DeviceTrustErrorCode, message: string, detail: Record<string, unknown> = {}) {
    super(code, message, { status: STATUS[code], detail });
  }

  static from(refusal: Refusal, detail: Record<string, unknown> = {}): DeviceTrustError {
    return new DeviceTrustError(refusal.code, refusal.message, detail);
  }
}
