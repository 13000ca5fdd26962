// Authentication context classes Latchkey issues, and how a relying party's acr_values become a
// requirement of the sign-in. A class is a statement about what the sign-in proved:
//   pwd     the user was authenticated (any method);
//   mfa     multi-factor authentication (RFC 8176 sense: two kinds of factor, or a user-verified passkey);
//   device  a trusted device of the user's was proven (its device certificate, or a device-bound passkey
//           registered on it).
// They are not a ladder: a device-proven factor sign-in is not MFA, and MFA proves no device.
import type { Requirement, RequirementName } from '../policies/index.js';

export const ACR_PASSWORD = 'urn:latchkey:acr:pwd';
export const ACR_MFA = 'urn:latchkey:acr:mfa';
export const ACR_DEVICE = 'urn:latchkey:acr:device';

/** Every class Latchkey issues (discovery's acr_values_supported), strongest first for choosing one. */
export const ACR_VALUES = [ACR_DEVICE, ACR_MFA, ACR_PASSWORD] as const;
export type AcrValue = (typeof ACR_VALUES)[number];

/** What the sign-in proved, as the classes see it. */
export interface Achieved {
  multiFactor: boolean;
  deviceProven: boolean;
}

function satisfies(value: AcrValue, achieved: Achieved): boolean {
  if (value === ACR_MFA) return achieved.multiFactor;
  if (value === ACR_DEVICE) return achieved.deviceProven;
  return true;
}

/** The known classes among space-separated `acr_values`, in the relying party's order (unknown ones are voluntary and ignored). */
export function requestedAcrValues(acrValues: unknown): AcrValue[] {
  if (typeof acrValues !== 'string') return [];
  return acrValues.split(' ').filter((value): value is AcrValue => (ACR_VALUES as readonly string[]).includes(value));
}

/**
 * What the requested classes require of the sign-in: any one of them will do, so their requirements form
 * one any-of clause; asking for `pwd` among them requires nothing more.
 */
export function acrRequirement(requested: readonly AcrValue[]): Requirement {
  if (requested.length === 0 || requested.includes(ACR_PASSWORD)) return [];
  const names = requested.flatMap((value): RequirementName[] =>
    value === ACR_MFA ? ['mfa'] : ['device_certificate', 'device_bound_passkey'],
  );
  return [[...new Set(names)]];
}

/**
 * The `acr` to issue: the first requested class the sign-in satisfies, else the strongest it satisfies;
 * undefined when classes were requested and none is satisfied.
 */
export function acrFor(achieved: Achieved, requested: readonly AcrValue[] = []): AcrValue | undefined {
  if (requested.length) return requested.find((value) => satisfies(value, achieved));
  return ACR_VALUES.find((value) => satisfies(value, achieved));
}
