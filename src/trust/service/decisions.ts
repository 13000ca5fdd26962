// The decisions of the device-trust service as pure functions of explicit facts (records, switch, `now`):
// may this certificate renew, what does a device check report, is the cached CRL still good. The service
// gathers the facts and acts on the answer.
import { renewalStatus, renewalWindow } from '../renewal.js';
import type { DeviceCertificateVerification } from '../verify.js';
import type { Refusal } from './errors.js';
import { isTrustedDevice } from '../../store/device-trust.js';

/** What the database says about a certificate. */
export interface CertificateStanding {
  deviceId: string;
  spkiSha256: string;
  revokedAt: number | null;
  revocationReason: string | null;
}

/** What the database says about a device. */
export interface DeviceStanding {
  status: 'active' | 'revoked';
  revokedReason: string | null;
  managed: boolean;
  integrity: 'passed' | 'failed' | 'unknown';
}

/** A chain that verified, with the database records found for its serial and device id. */
export interface PresentedCertificate {
  verified: { deviceId: string; spkiSha256: string };
  certificate: CertificateStanding | undefined;
  device: DeviceStanding | undefined;
}

export type TokenProblem = 'unknown' | 'used' | 'expired';

/** The refusal for an enrollment token that cannot be used. */
export function tokenRefusal(problem: TokenProblem): Refusal {
  switch (problem) {
    case 'unknown':
      return { code: 'ERR_ENROLLMENT_TOKEN_UNKNOWN', message: 'the enrollment token is not known' };
    case 'used':
      return { code: 'ERR_ENROLLMENT_TOKEN_USED', message: 'the enrollment token was already used' };
    case 'expired':
      return { code: 'ERR_ENROLLMENT_TOKEN_EXPIRED', message: 'the enrollment token has expired' };
  }
}

export const DISTRIBUTION_OFF: Refusal = {
  code: 'ERR_DEVICE_DISTRIBUTION_OFF',
  message: 'certificate distribution is switched off',
};

/**
 * Whether a verified certificate still stands in the database: on record (for the same device and key),
 * its device not revoked, and the certificate not revoked. Null when it stands.
 */
export function standingRefusal(presented: PresentedCertificate): Refusal | null {
  const { certificate, device, verified } = presented;
  if (!certificate || certificate.deviceId !== verified.deviceId || certificate.spkiSha256 !== verified.spkiSha256) {
    return { code: 'ERR_CERT_UNKNOWN', message: 'the device certificate is not on record' };
  }
  // A revoked device revokes its certificates too: name the device, the cause.
  if (!device || device.status !== 'active') {
    return {
      code: 'ERR_DEVICE_REVOKED',
      message: `the device was revoked (${device?.revokedReason ?? 'unspecified'})`,
    };
  }
  if (certificate.revokedAt !== null) {
    return {
      code: 'ERR_CERT_REVOKED',
      message: `the device certificate was revoked (${certificate.revocationReason ?? 'unspecified'})`,
    };
  }
  return null;
}

export interface RenewalFacts extends PresentedCertificate {
  distributionOn: boolean;
  notBefore: Date;
  notAfter: Date;
  now: Date;
  /** Fraction of the lifetime after which renewal is accepted. */
  fraction: number;
  /** An admin made this certificate renewable from then on (`latchkey devices renew-now`), window or not. */
  renewableFrom?: Date | null;
}

/**
 * May this certificate renew now? In order: it stands (on record, unrevoked, device active), distribution
 * is on, and its renewal window is open (or an admin opened it early). Null when it may.
 */
export function renewalRefusal(facts: RenewalFacts): Refusal | null {
  const standing = standingRefusal(facts);
  if (standing) return standing;
  if (!facts.distributionOn) return DISTRIBUTION_OFF;
  const early = facts.renewableFrom != null && facts.now.getTime() >= facts.renewableFrom.getTime();
  if (!early && renewalStatus(facts.notBefore, facts.notAfter, facts.now, facts.fraction) === 'not-due') {
    const opensAt = renewalWindow(facts.notBefore, facts.notAfter, facts.fraction).opensAt;
    return { code: 'ERR_RENEWAL_NOT_DUE', message: `renewal is not due until ${opensAt.toISOString()}` };
  }
  return null;
}

export type DeviceCheckStatus = 'trusted' | 'managed' | 'unmanaged' | 'revoked' | 'invalid';

export interface DeviceCheckDecision {
  status: DeviceCheckStatus;
  /** Why, in words fit for an administrator. */
  reason: string;
  /** Stable code for invalid and revoked certificates. */
  code?: string;
}

export interface DeviceCheckFacts {
  distributionOn: boolean;
  /** Null when the client presented no certificate. */
  verification: DeviceCertificateVerification | null;
  certificate: CertificateStanding | undefined;
  device: DeviceStanding | undefined;
}

/**
 * What a device check reports. Distribution off makes everyone unmanaged; no certificate is unmanaged; a
 * chain that does not verify or is not on record is invalid; a revoked certificate or device is revoked;
 * a standing device is trusted when managed with integrity passed, else managed.
 */
export function deviceCheckDecision(facts: DeviceCheckFacts): DeviceCheckDecision {
  if (!facts.distributionOn)
    return { status: 'unmanaged', reason: DISTRIBUTION_OFF.message, code: DISTRIBUTION_OFF.code };
  const { verification } = facts;
  if (!verification) return { status: 'unmanaged', reason: 'no device certificate was presented' };
  if (!verification.ok) return { status: 'invalid', reason: verification.reason, code: verification.code };
  const refusal = standingRefusal({ verified: verification, certificate: facts.certificate, device: facts.device });
  if (refusal) {
    const status = refusal.code === 'ERR_CERT_UNKNOWN' ? 'invalid' : 'revoked';
    return { status, reason: refusal.message, code: refusal.code };
  }
  const device = facts.device!;
  return trustOf(device) === 'trusted'
    ? { status: 'trusted', reason: 'managed device with a passed integrity check' }
    : { status: 'managed', reason: `enrolled device (integrity ${device.integrity})` };
}

/** A standing device is trusted when managed with integrity passed, else managed. */
export function trustOf(device: Pick<DeviceStanding, 'managed' | 'integrity'>): 'trusted' | 'managed' {
  return isTrustedDevice(device) ? 'trusted' : 'managed';
}

/** The device record's integrity from what the agent reported (self-reported: a hint, not proof). */
export function integrityFromPosture(reported: string | undefined): DeviceStanding['integrity'] {
  if (reported === 'secure-boot-on') return 'passed';
  if (reported === 'secure-boot-off') return 'failed';
  return 'unknown';
}

/** A CRL built for one revocation fingerprint, with its validity. */
export interface CachedCrl {
  fingerprint: string;
  thisUpdate: Date;
  nextUpdate: Date;
}

/**
 * Rebuild the CRL when none is cached, revocations changed (another fingerprint), or half of its validity
 * has passed, so verifiers never fetch one that is about to expire.
 */
export function crlIsStale(cached: CachedCrl | undefined, fingerprint: string, now: Date): boolean {
  if (!cached || cached.fingerprint !== fingerprint) return true;
  const halfway = (cached.thisUpdate.getTime() + cached.nextUpdate.getTime()) / 2;
  return now.getTime() >= halfway;
}
