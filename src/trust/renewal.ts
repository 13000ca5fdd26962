// When a device certificate should be renewed: after a fraction of its lifetime (two thirds by default,
// about day 20 of 30). The agent uses it to decide whether to call /device/renew; the server uses it to
// refuse renewals that come too early.
import { TrustParameterError } from './errors.js';

export const DEFAULT_RENEWAL_FRACTION = 2 / 3;

export interface RenewalWindow {
  /** From this instant a renewal is due (and accepted by the server). */
  opensAt: Date;
  /** The certificate's notAfter: after it, the certificate can no longer authenticate a renewal. */
  closesAt: Date;
}

export type RenewalStatus = 'not-due' | 'due' | 'expired';

/** The renewal window of a certificate valid from `notBefore` to `notAfter`. */
export function renewalWindow(notBefore: Date, notAfter: Date, fraction = DEFAULT_RENEWAL_FRACTION): RenewalWindow {
  if (!(fraction > 0 && fraction < 1)) {
    throw new TrustParameterError('renewal fraction must be between 0 and 1 (exclusive)', { fraction });
  }
  if (notAfter.getTime() <= notBefore.getTime()) {
    throw new TrustParameterError('certificate notAfter must be after notBefore', {
      notBefore: notBefore.toISOString(),
      notAfter: notAfter.toISOString(),
    });
  }
  const lifetime = notAfter.getTime() - notBefore.getTime();
  return {
    opensAt: new Date(notBefore.getTime() + Math.round(lifetime * fraction)),
    closesAt: new Date(notAfter.getTime()),
  };
}

/** Where `now` falls: before the window, inside it, or past the certificate's expiry. */
export function renewalStatus(
  notBefore: Date,
  notAfter: Date,
  now: Date,
  fraction = DEFAULT_RENEWAL_FRACTION,
): RenewalStatus {
  const window = renewalWindow(notBefore, notAfter, fraction);
  if (now.getTime() > window.closesAt.getTime()) return 'expired';
  return now.getTime() >= window.opensAt.getTime() ? 'due' : 'not-due';
}

/** True if a still-valid certificate has entered its renewal window at `now`. */
export function isRenewalDue(notBefore: Date, notAfter: Date, now: Date, fraction = DEFAULT_RENEWAL_FRACTION): boolean {
  return renewalStatus(notBefore, notAfter, now, fraction) === 'due';
}
