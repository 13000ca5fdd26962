// Authentication context classes Latchkey issues, strongest last, and the RFC 8176 `amr` values of
// each sign-in method. The id_token's `acr` is the strongest class the methods used satisfy.
import { isMfaMet, type MethodName } from '../policies/index.js';

export type { MethodName };

export const ACR_PASSWORD = 'urn:latchkey:acr:pwd';
export const ACR_MFA = 'urn:latchkey:acr:mfa';

/** Known classes in ascending strength. */
export const ACR_VALUES = [ACR_PASSWORD, ACR_MFA] as const;
export type AcrValue = (typeof ACR_VALUES)[number];

/** RFC 8176 amr values of each method: a device certificate is proof of possession of a software key,
 *  a user-verified passkey a hardware key plus user presence/verification. */
export const METHOD_AMR: Readonly<Record<MethodName, readonly string[]>> = {
  password: ['pwd'],
  totp: ['otp'],
  passkey: ['hwk', 'user'],
  device_certificate: ['pop', 'swk'],
};

/** True when the methods used amount to multi-factor authentication. */
export function isMultiFactor(methods: Iterable<MethodName>): boolean {
  return isMfaMet(new Set(methods));
}

/** The `amr` claim for the methods used (adds `mfa` when multi-factor). */
export function amrFor(methods: Iterable<MethodName>): string[] {
  const list = [...new Set(methods)];
  const amr = new Set<string>(list.flatMap((method) => METHOD_AMR[method]));
  if (isMultiFactor(list)) amr.add('mfa');
  return [...amr];
}

/** The methods an `amr` claim stands for (the inverse of amrFor; `mfa` itself names no method). */
export function methodsFromAmr(amr: readonly string[]): MethodName[] {
  return (Object.keys(METHOD_AMR) as MethodName[]).filter((method) =>
    METHOD_AMR[method].every((value) => amr.includes(value)),
  );
}

/**
 * What a session proved, as method → time: every method its amr names, dated when it signed in
 * (oidc-provider keeps one login time per session, not one per method).
 */
export function sessionMethods(
  amr: readonly string[] | undefined,
  loginTs: number | undefined,
): Partial<Record<MethodName, number>> {
  return Object.fromEntries(methodsFromAmr(amr ?? []).map((method) => [method, loginTs ?? 0]));
}

/** The strongest ACR the methods satisfy. */
export function acrFor(methods: Iterable<MethodName>): AcrValue {
  return isMultiFactor(methods) ? ACR_MFA : ACR_PASSWORD;
}

/** Strength rank of a known ACR value, or undefined for values Latchkey does not issue. */
export function acrRank(value: string): number | undefined {
  const index = (ACR_VALUES as readonly string[]).indexOf(value);
  return index === -1 ? undefined : index;
}

/**
 * The weakest known class among requested `acr_values` (space separated), which is what the sign-in
 * must reach; undefined when nothing known was requested (unknown values are voluntary and ignored).
 */
export function requestedAcr(acrValues: string | undefined): AcrValue | undefined {
  if (!acrValues) return undefined;
  const ranks = acrValues
    .split(' ')
    .map(acrRank)
    .filter((rank): rank is number => rank !== undefined);
  return ranks.length ? ACR_VALUES[Math.min(...ranks)] : undefined;
}

/** True when `achieved` is at least as strong as `required`. */
export function acrSatisfies(achieved: string | undefined, required: AcrValue | undefined): boolean {
  if (required === undefined) return true;
  const rank = achieved === undefined ? undefined : acrRank(achieved);
  return rank !== undefined && rank >= acrRank(required)!;
}
