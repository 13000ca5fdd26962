// What a factor client (another IdP that sends its users here to prove their device) is set up to do. Kept
// with the client (clients.factor, JSON), written by `latchkey clients add-factor|set-factor`, read on every
// sign-in of that client. A stored value that does not parse fails the sign-in closed.
import { z } from 'zod';
import { ATTRIBUTE_NAME, USER_FIELD_NAMES, type UserField } from './user-fields.js';

export const FACTOR_IDPS = ['okta', 'entra', 'generic'] as const;
export type FactorIdp = (typeof FACTOR_IDPS)[number];

/**
 * What a sign-in that proves no trusted device gets: `deny` (access_denied: the other IdP never gets a
 * token), or `device_context` (a token whose device_context says `managed: false`, for the other IdP's own
 * device policies to decide; the user must then be named by login_hint or Entra's hint).
 */
export const UNMANAGED_ANSWERS = ['deny', 'device_context'] as const;
export type UnmanagedAnswer = (typeof UNMANAGED_ANSWERS)[number];

/** Claims of Entra's id_token_hint that can name the user. */
export const ENTRA_MATCH_CLAIMS = ['preferred_username', 'email', 'upn', 'oid', 'sub'] as const;
export type EntraMatchClaim = (typeof ENTRA_MATCH_CLAIMS)[number];

export const ENTRA_AUTHORITY = 'https://login.microsoftonline.com';

export interface EntraSettings {
  /** The directory (tenant) id whose hints are accepted. */
  tenantId: string;
  /**
   * The application (client) id of the Entra app registration that represents this integration. Entra's
   * documentation and observed hints disagree on whether a hint's audience is it or our client id: both
   * are accepted.
   */
  appId: string | null;
  /** Microsoft's login host: login.microsoftonline.com, or a national cloud's. */
  authority: string;
  /** Where the tenant's signing keys are read from; default the authority's keys URL for the tenant. */
  jwksUri: string | null;
  /** A JWKS file instead of a URL (an air-gapped node, a test). */
  jwksFile: string | null;
  /** The hint claim that names the user, and the user value it must equal. */
  matchClaim: EntraMatchClaim;
  matchField: UserField;
}

export interface FactorSettings {
  idp: FactorIdp;
  /** What preferred_username carries for this client (the other IdP matches its users on it). */
  preferredUsername: UserField;
  unmanaged: UnmanagedAnswer;
  /** How long a device proven for this client is relied on before it is checked again. */
  sessionSeconds: number;
  entra: EntraSettings | null;
}

export const DEFAULT_FACTOR_SESSION_SECONDS = 12 * 3600;

const userField = z
  .string()
  .refine(
    (value) =>
      (USER_FIELD_NAMES as readonly string[]).includes(value) ||
      (value.startsWith('attribute:') && ATTRIBUTE_NAME.test(value.slice('attribute:'.length))),
  )
  .transform((value) => value as UserField);

const entraSchema = z.strictObject({
  tenant_id: z.string().min(1),
  app_id: z.string().min(1).nullable(),
  authority: z.string().url(),
  jwks_uri: z.string().url().nullable(),
  jwks_file: z.string().min(1).nullable(),
  match_claim: z.enum(ENTRA_MATCH_CLAIMS),
  match_field: userField,
});

const storedSchema = z.strictObject({
  idp: z.enum(FACTOR_IDPS),
  preferred_username: userField,
  unmanaged: z.enum(UNMANAGED_ANSWERS),
  session_seconds: z.number().int().positive(),
  entra: entraSchema.nullable(),
});

/** The stored form (snake_case JSON). */
export function serializeFactorSettings(settings: FactorSettings): string {
  const { entra } = settings;
  return JSON.stringify({
    idp: settings.idp,
    preferred_username: settings.preferredUsername,
    unmanaged: settings.unmanaged,
    session_seconds: settings.sessionSeconds,
    entra: entra && {
      tenant_id: entra.tenantId,
      app_id: entra.appId,
      authority: entra.authority,
      jwks_uri: entra.jwksUri,
      jwks_file: entra.jwksFile,
      match_claim: entra.matchClaim,
      match_field: entra.matchField,
    },
  });
}

/** Reads the stored form; throws (the sign-in fails closed) when it does not parse. */
export function parseFactorSettings(text: string): FactorSettings {
  const stored = storedSchema.parse(JSON.parse(text));
  const { entra } = stored;
  return {
    idp: stored.idp,
    preferredUsername: stored.preferred_username,
    unmanaged: stored.unmanaged,
    sessionSeconds: stored.session_seconds,
    entra: entra && {
      tenantId: entra.tenant_id,
      appId: entra.app_id,
      authority: entra.authority,
      jwksUri: entra.jwks_uri,
      jwksFile: entra.jwks_file,
      matchClaim: entra.match_claim,
      matchField: entra.match_field,
    },
  };
}

/** The issuer Entra signs its hints with for this tenant. */
export function entraIssuer(entra: Pick<EntraSettings, 'authority' | 'tenantId'>): string {
  return `${entra.authority.replace(/\/+$/, '')}/${entra.tenantId}/v2.0`;
}

/** Where the tenant's signing keys are, unless configured otherwise. */
export function entraJwksUri(entra: EntraSettings): string {
  return entra.jwksUri ?? `${entra.authority.replace(/\/+$/, '')}/${entra.tenantId}/discovery/v2.0/keys`;
}
