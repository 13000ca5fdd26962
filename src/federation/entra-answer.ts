// What Microsoft Entra takes back from an external authentication method: an `amr` of exactly one value,
// one of those it asked for in the claims parameter (its list: face fido fpt hwk iris otp pop retina sc sms
// swk tel vbm). The `acr` is the category it asked for (oidc/acr.ts picks it).
import type { MethodName } from '../policies/index.js';

/** Entra's amr values, in the order Latchkey prefers them for a proof. */
const ENTRA_AMR: Readonly<Record<MethodName, readonly string[]>> = {
  device_certificate: ['pop', 'swk', 'sc'],
  device_bound_passkey: ['fido', 'hwk', 'swk'],
  passkey: ['fido', 'hwk', 'swk'],
  totp: ['otp'],
  password: [],
};

/** The one amr value for the proofs (a device proof first), among those the claims parameter asks for. */
export function entraAmr(proofs: readonly { method: MethodName; device?: unknown }[], claims: unknown): string[] {
  const requested = requestedAmr(claims);
  const ordered = [...proofs.filter((proof) => proof.device), ...proofs.filter((proof) => !proof.device)];
  for (const proof of ordered) {
    const value = ENTRA_AMR[proof.method].find((candidate) => !requested || requested.includes(candidate));
    if (value) return [value];
  }
  return [];
}

function requestedAmr(claims: unknown): string[] | undefined {
  if (typeof claims !== 'string') return undefined;
  try {
    const values = (JSON.parse(claims) as { id_token?: { amr?: { values?: unknown } } })?.id_token?.amr?.values;
    return Array.isArray(values) ? values.filter((value): value is string => typeof value === 'string') : undefined;
  } catch {
    return undefined;
  }
}
