// TOTP (RFC 6238) with the otpauth library: 6 digits, 30-second steps, SHA-1 (what authenticator apps
// support), one step of drift either way, and each step usable once (replay protection).
import * as OTPAuth from 'otpauth';

/** Sealed-box purpose under which TOTP secrets are stored. */
export const TOTP_SECRET_PURPOSE = 'totp-secret';

export interface TotpCheck {
  ok: boolean;
  /** The time step that matched, to be stored so the same code cannot be used twice. */
  step?: number;
}

/** Creates a new random secret (base32, 160 bits). */
export function newTotpSecret(): string {
  return new OTPAuth.Secret({ size: 20 }).base32;
}

function totpFor(secret: string, label = '', issuer = 'Latchkey'): OTPAuth.TOTP {
  return new OTPAuth.TOTP({ issuer, label, algorithm: 'SHA1', digits: 6, period: 30, secret });
}

/** The otpauth:// URI an authenticator app scans. */
export function totpUri(secret: string, username: string, issuer: string): string {
  return totpFor(secret, username, issuer).toString();
}

/** Checks a code at `nowMs`; refuses a step at or before `lastStep` (already used). */
export function checkTotp(secret: string, code: string, nowMs: number, lastStep: number | null): TotpCheck {
  const normalized = code.replace(/\s+/g, '');
  if (!/^\d{6}$/.test(normalized)) return { ok: false };
  const delta = totpFor(secret).validate({ token: normalized, timestamp: nowMs, window: 1 });
  if (delta === null) return { ok: false };
  const step = Math.floor(nowMs / 30000) + delta;
  if (lastStep !== null && step <= lastStep) return { ok: false };
  return { ok: true, step };
}

/** The current code (for the CLI's enrollment check and for tests acting as an authenticator app). */
export function currentTotp(secret: string, nowMs: number): string {
  return totpFor(secret).generate({ timestamp: nowMs });
}
