// A registered passkey as Latchkey keeps it, and what it proves. Pure: the rules that turn a stored
// credential into RFC 8176 amr values and into "device-bound or not", decided once here so the sign-in
// method, the account page, the CLI and the docs all say the same thing.
import type { MethodName } from '../policies/index.js';

export type Attachment = 'platform' | 'cross-platform';

/** Transports that mean the authenticator can travel to another device (a security key, a phone). */
const ROAMING_TRANSPORTS = new Set(['usb', 'nfc', 'ble', 'hybrid', 'smart-card', 'cable']);

export interface StoredPasskey {
  /** Latchkey's id of the row (stable, shown to admins). */
  id: string;
  /** base64url of the WebAuthn credential id. */
  credentialId: string;
  userId: string;
  /** The device proven in the session that registered it, if any. */
  deviceId: string | null;
  name: string;
  /** base64url of the COSE public key. */
  publicKey: string;
  counter: number;
  transports: string[];
  attachment: Attachment | null;
  aaguid: string;
  /** The BE flag: the credential may be synced to other devices (a "synced passkey"). */
  backupEligible: boolean;
  /** The BS flag at the last ceremony: it is backed up now. */
  backedUp: boolean;
  attestationFormat: string;
  /** True only when an attestation statement chained to a root from the operator's FIDO metadata. */
  attestationVerified: boolean;
  createdAt: number;
  expiresAt: number;
  lastUsedAt: number | null;
  /** When a signature counter regression was accepted under `counter_regression: flag`. */
  counterFlaggedAt: number | null;
  revokedAt: number | null;
  revokedReason: string | null;
}

/** What a passkey's storage says about where its key lives. */
export type PasskeyKind = 'synced' | 'device-bound' | 'single-device';

/**
 * synced: backup eligible, it may live on any device of the user's cloud account; device-bound: not
 * backup eligible, a platform authenticator, registered on a device Latchkey knows; single-device: not
 * synced, but either a roaming authenticator (a security key travels) or registered where no device was
 * proven, so it says nothing about which device is in use.
 */
export function passkeyKind(
  passkey: Pick<StoredPasskey, 'backupEligible' | 'deviceId' | 'transports' | 'attachment'>,
): PasskeyKind {
  if (passkey.backupEligible) return 'synced';
  const roaming =
    passkey.attachment === 'cross-platform' ||
    passkey.transports.some((transport) => ROAMING_TRANSPORTS.has(transport));
  return passkey.deviceId !== null && !roaming ? 'device-bound' : 'single-device';
}

/** The method a sign-in with this passkey proves: `device_bound_passkey` (which also meets `passkey`), or `passkey`. */
export function methodOf(
  passkey: Parameters<typeof passkeyKind>[0],
): Extract<MethodName, 'passkey' | 'device_bound_passkey'> {
  return passkeyKind(passkey) === 'device-bound' ? 'device_bound_passkey' : 'passkey';
}

/**
 * RFC 8176 values of a user-verified passkey sign-in: `hwk` only when attestation proved a hardware key
 * (the chain verified against FIDO metadata), otherwise `swk`; `user` (presence) and `mfa` (a possessed
 * key unlocked by biometrics or PIN).
 */
export function amrOf(passkey: Pick<StoredPasskey, 'attestationVerified'>): string[] {
  return [passkey.attestationVerified ? 'hwk' : 'swk', 'user', 'mfa'];
}

export type Usability =
  { ok: true } | { ok: false; code: 'ERR_PASSKEY_REVOKED' | 'ERR_PASSKEY_EXPIRED'; reason: string };

/** Whether a stored passkey may be used at `now` (ms). */
export function usability(passkey: Pick<StoredPasskey, 'revokedAt' | 'expiresAt'>, now: number): Usability {
  if (passkey.revokedAt !== null) return { ok: false, code: 'ERR_PASSKEY_REVOKED', reason: 'the passkey was revoked' };
  if (passkey.expiresAt <= now) return { ok: false, code: 'ERR_PASSKEY_EXPIRED', reason: 'the passkey has expired' };
  return { ok: true };
}

/**
 * A signature counter that did not move forward. Authenticators that never count (always 0, as most
 * synced passkeys) never regress; otherwise the new value must be greater than the stored one.
 */
export function counterRegressed(stored: number, received: number): boolean {
  return (stored > 0 || received > 0) && received <= stored;
}

/** The names people see for a passkey's kind. */
export const KIND_TEXT: Record<PasskeyKind, string> = {
  synced: 'synced (can be on other devices)',
  'device-bound': 'device-bound',
  'single-device': 'on one authenticator, no known device',
};
