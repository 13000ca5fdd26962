// Latchkey's certificate profile in one place: names, the device URN, lifetimes and clock skew. Issuing,
// verification, the agent's browser policy and the docs all read these, so they cannot drift apart.
import { TrustParameterError } from './errors.js';

export const ROOT_CA_COMMON_NAME = 'Latchkey Device Identification Root CA';
export const INTERMEDIATE_CA_COMMON_NAME = 'Latchkey Device Trust Intermediate CA';
/** The SCEP registration authority: decrypts requests and signs answers, never issues certificates. */
export const SCEP_RA_COMMON_NAME = 'Latchkey SCEP RA';
/** Device certificates are named "<prefix> <8 hex>" (an en dash, as in JumpCloud's naming). */
export const DEVICE_CERTIFICATE_CN_PREFIX = 'Latchkey Device Trust Certificate –';
export const DEVICE_URN_PREFIX = 'urn:latchkey:device:';

export const DEFAULT_ROOT_LIFETIME_YEARS = 20;
export const DEFAULT_INTERMEDIATE_LIFETIME_YEARS = 10;
export const DEFAULT_DEVICE_LIFETIME_DAYS = 30;
/** notBefore is set this far in the past so a device whose clock runs slow accepts a fresh certificate. */
export const CLOCK_SKEW_MS = 5 * 60 * 1000;

/** Device ids are URN-safe tokens: letters, digits, ".", "_", "-"; 1-128 characters, starting alphanumeric. */
const DEVICE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** True if `id` can be used as a device id in a certificate. */
export function isValidDeviceId(id: string): boolean {
  return DEVICE_ID.test(id);
}

/** The SAN URI naming device `id`; throws TrustParameterError for an id that is not URN-safe. */
export function deviceUrn(id: string): string {
  if (!isValidDeviceId(id)) throw new TrustParameterError('device id is not a URN-safe token', { deviceId: id });
  return `${DEVICE_URN_PREFIX}${id}`;
}

/** The device id in a SAN URI, or null if the URI is not a well-formed Latchkey device URN. */
export function parseDeviceUrn(uri: string): string | null {
  if (!uri.startsWith(DEVICE_URN_PREFIX)) return null;
  const id = uri.slice(DEVICE_URN_PREFIX.length);
  return isValidDeviceId(id) ? id : null;
}

/** The leaf's subject CN: the prefix and the first 8 hex digits of the certificate serial number. */
export function deviceCertificateCommonName(serialHex: string): string {
  return `${DEVICE_CERTIFICATE_CN_PREFIX} ${serialHex.slice(0, 8)}`;
}
