// Authentication context classes Latchkey issues, and how a relying party's requested classes (acr_values,
// or the claims parameter's id_token.acr) become a requirement of the sign-in. A class is a statement
// about what the sign-in proved:
//   pwd     the user was authenticated (any method);
//   mfa     multi-factor authentication (RFC 8176 sense: two kinds of factor, or a user-verified passkey);
//   device  a trusted device of the user's was proven (its device certificate or a device-bound passkey).
// They are not a ladder: a device-proven factor sign-in is not MFA, and MFA proves no device.
// Microsoft Entra's external authentication methods ask instead for a factor category (`possession`,
// `possessionorinherence`, ...): the kind of factor this sign-in added to the one Entra checked itself.
import type { MethodName, Requirement, RequirementName } from '../policies/index.js';

export const ACR_PASSWORD = 'urn:latchkey:acr:pwd';
export const ACR_MFA = 'urn:latchkey:acr:mfa';
export const ACR_DEVICE = 'urn:latchkey:acr:device';

/** Every class Latchkey issues on its own (discovery's acr_values_supported), strongest first for choosing one. */
export const ACR_VALUES = [ACR_DEVICE, ACR_MFA, ACR_PASSWORD] as const;

export type FactorCategory = 'knowledge' | 'possession' | 'inherence';

/** Entra's category values, each naming the categories any one of which satisfies it. */
const CATEGORY_VALUES: Readonly<Record<string, readonly FactorCategory[]>> = {
  knowledge: ['knowledge'],
  possession: ['possession'],
  inherence: ['inherence'],
  knowledgeorpossession: ['knowledge', 'possession'],
  knowledgeorinherence: ['knowledge', 'inherence'],
  possessionorinherence: ['possession', 'inherence'],
  knowledgeorpossessionorinherence: ['knowledge', 'possession', 'inherence'],
};

/**
 * The category each method's proof is. A passkey is a hardware key (possession); whether its user
 * verification was a fingerprint or a PIN is not reported, so it is not counted as inherence.
 */
const METHOD_CATEGORY: Readonly<Record<MethodName, FactorCategory>> = {
  password: 'knowledge',
  totp: 'possession',
  device_certificate: 'possession',
  passkey: 'possession',
  device_bound_passkey: 'possession',
};

export type AcrValue = (typeof ACR_VALUES)[number] | keyof typeof CATEGORY_VALUES;

/** What the sign-in proved, as the classes see it. */
export interface Achieved {
  multiFactor: boolean;
  deviceProven: boolean;
  /** The methods proven (for the categories). */
  methods: ReadonlySet<MethodName>;
}

function isKnown(value: string): value is AcrValue {
  return (ACR_VALUES as readonly string[]).includes(value) || Object.hasOwn(CATEGORY_VALUES, value);
}

function satisfies(value: AcrValue, achieved: Achieved): boolean {
  if (value === ACR_MFA) return achieved.multiFactor;
  if (value === ACR_DEVICE) return achieved.deviceProven;
  if (value === ACR_PASSWORD) return true;
  const categories = CATEGORY_VALUES[value]!;
  return [...achieved.methods].some((method) => categories.includes(METHOD_CATEGORY[method]));
}

/**
 * The known classes a request asks for, in its order: space-separated `acr_values`, then the values of
 * the claims parameter's `id_token.acr` (`values` or `value`). Unknown ones are voluntary and ignored.
 */
export function requestedAcrValues(acrValues: unknown, claims?: unknown): AcrValue[] {
  const requested = typeof acrValues === 'string' ? acrValues.split(' ') : [];
  requested.push(...claimsAcr(claims));
  return [...new Set(requested.filter(isKnown))];
}

function claimsAcr(claims: unknown): string[] {
  if (typeof claims !== 'string') return [];
  try {
    const acr = (JSON.parse(claims) as { id_token?: { acr?: { values?: unknown; value?: unknown } } })?.id_token?.acr;
    const values = Array.isArray(acr?.values) ? acr.values : [acr?.value];
    return values.filter((value): value is string => typeof value === 'string');
  } catch {
    // oidc-provider refuses a claims parameter that is not JSON before any interaction starts.
    return [];
  }
}

/**
 * What the requested classes require of the sign-in: any one of them will do, so their requirements form
 * one any-of clause; asking for `pwd` among them requires nothing more.
 */
export function acrRequirement(requested: readonly AcrValue[]): Requirement {
  if (requested.length === 0 || requested.includes(ACR_PASSWORD)) return [];
  const names = requested.flatMap((value): RequirementName[] => {
    if (value === ACR_MFA) return ['mfa'];
    if (value === ACR_DEVICE) return ['device_certificate', 'device_bound_passkey'];
    const categories = CATEGORY_VALUES[value]!;
    return (Object.keys(METHOD_CATEGORY) as MethodName[]).filter((m) => categories.includes(METHOD_CATEGORY[m]));
  });
  return [[...new Set(names)]];
}

/**
 * The `acr` to issue: the first requested class the sign-in satisfies, else the strongest of Latchkey's
 * own it satisfies; undefined when classes were requested and none is satisfied.
 */
export function acrFor(achieved: Achieved, requested: readonly AcrValue[] = []): AcrValue | undefined {
  if (requested.length) return requested.find((value) => satisfies(value, achieved));
  return ACR_VALUES.find((value) => satisfies(value, achieved));
}
