// What a sign-in has proven, method by method. Each sign-in method's verify() returns a Proof; the
// interaction keeps the list, the policy facts are built from it (a device proof gives `device`), and the
// session keeps it after sign-in so the session check, token use and claims see what was proven.
import type { DeviceFacts, EpochSeconds, MethodName } from '../policies/index.js';

/** A device proven in a sign-in: the policy engine's facts plus what re-checking it later needs. */
export interface ProvenDevice extends DeviceFacts {
  readonly userId: string;
  /** Serial (lowercase hex) of the certificate that proved it, when a certificate did. */
  readonly certificateSerial?: string;
  /** Its integrity as last reported (secure boot and the like), for the compliance of device_context. */
  readonly integrity?: 'passed' | 'failed' | 'unknown';
}

export interface Proof {
  readonly method: MethodName;
  /** When it was proven (epoch seconds). */
  readonly at: EpochSeconds;
  /** RFC 8176 values this proof contributes to the `amr` claim. */
  readonly amr: readonly string[];
  /** The user this proof identifies, for methods that identify (password, device certificate, passkey). */
  readonly userId?: string;
  readonly device?: ProvenDevice;
  /** Until when the proof holds (a certificate's notAfter, a passkey's expiry), epoch seconds. */
  readonly expiresAt?: EpochSeconds;
  /** Facts for the audit log (a certificate serial, a credential id). */
  readonly detail?: Readonly<Record<string, string | number | boolean>>;
}

/** Method → when it was last proven: what the policy engine calls `methods`. */
export function methodTimes(proofs: readonly Proof[]): Partial<Record<MethodName, EpochSeconds>> {
  const times: Partial<Record<MethodName, EpochSeconds>> = {};
  for (const proof of proofs) times[proof.method] = Math.max(times[proof.method] ?? 0, proof.at);
  return times;
}

/** The device the proofs establish (the newest device proof), if any. */
export function provenDevice(proofs: readonly Proof[]): ProvenDevice | undefined {
  return [...proofs].reverse().find((proof) => proof.device)?.device;
}

/** Replaces any earlier proof of the same method with `proof`. */
export function withProof(proofs: readonly Proof[], proof: Proof): Proof[] {
  return [...proofs.filter((existing) => existing.method !== proof.method), proof];
}

/** The `amr` claim: every proof's values, plus `mfa` when the methods amount to multi-factor. */
export function amrOf(proofs: readonly Proof[], multiFactor: boolean): string[] {
  const amr = new Set(proofs.flatMap((proof) => proof.amr));
  if (multiFactor) amr.add('mfa');
  return [...amr];
}

/** The earliest expiry among the proofs (the session must not outlive it), or undefined. */
export function proofsExpireAt(proofs: readonly Proof[]): EpochSeconds | undefined {
  const times = proofs.map((proof) => proof.expiresAt).filter((at): at is number => at !== undefined);
  return times.length ? Math.min(...times) : undefined;
}
