// What a factor client is registered with, per kind of IdP, and what its administrator pastes into that
// IdP. Pure: the CLI validates the metadata with oidc-provider and stores it.
import { InvalidInputError } from '../errors.js';
import { DEFAULT_FACTOR_SESSION_SECONDS, ENTRA_AUTHORITY, type FactorIdp, type FactorSettings } from './settings.js';

/** The token endpoint authentication a code-flow factor may use; Okta's default is the first. */
export const FACTOR_AUTH_METHODS = ['client_secret_post', 'client_secret_basic', 'private_key_jwt'] as const;
export type FactorAuthMethod = (typeof FACTOR_AUTH_METHODS)[number];

/** Microsoft's clouds, each with its own login host (the hint's issuer and the answer's redirect_uri). */
export const ENTRA_CLOUDS = {
  global: ENTRA_AUTHORITY,
  usgov: 'https://login.microsoftonline.us',
  china: 'https://login.partner.microsoftonline.cn',
} as const;
export type EntraCloud = keyof typeof ENTRA_CLOUDS;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

/** The redirect URI Entra sends its users back to, for one cloud. */
export function entraRedirectUri(authority: string): string {
  return `${authority}/common/federation/externalauthprovider`;
}

/** Okta's callback for an org (ORG.okta.com, or its custom domain). Accepts a pasted URL and keeps its host. */
export function oktaRedirectUri(domain: string): string {
  const host = domain
    .trim()
    .replace(/^https:\/\//i, '')
    .replace(/\/+$/, '');
  if (!HOSTNAME.test(host)) {
    throw new InvalidInputError(
      'ERR_USAGE_OKTA_DOMAIN',
      `--okta-domain must be your Okta org's host name, such as acme.okta.com or login.acme.com, not "${domain}"`,
    );
  }
  return `https://${host.toLowerCase()}/oauth2/v1/authorize/callback`;
}

export function checkTenantId(tenantId: string): string {
  if (!GUID.test(tenantId)) {
    throw new InvalidInputError(
      'ERR_USAGE_TENANT_ID',
      `--tenant-id must be the directory (tenant) id, a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47, not "${tenantId}"`,
    );
  }
  return tenantId.toLowerCase();
}

export interface FactorMetadataInput {
  idp: FactorIdp;
  clientId: string;
  name: string;
  redirectUris: readonly string[];
  authMethod: FactorAuthMethod;
  jwks?: { uri?: string; keys?: unknown };
}

/** Client metadata for oidc-provider: a code flow for Okta and generic IdPs, Entra's implicit id_token flow. */
export function factorMetadata(input: FactorMetadataInput): Record<string, unknown> & { client_id: string } {
  if (input.idp === 'entra') {
    return {
      client_id: input.clientId,
      client_name: input.name,
      grant_types: ['implicit'],
      response_types: ['id_token'],
      redirect_uris: [...input.redirectUris],
      token_endpoint_auth_method: 'none',
      id_token_signed_response_alg: 'RS256',
      // The answer's sub is the hint's (Entra's own subject for this integration): see oidc/provider.ts.
      subject_type: 'pairwise',
    };
  }
  const metadata: Record<string, unknown> & { client_id: string } = {
    client_id: input.clientId,
    client_name: input.name,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    redirect_uris: [...input.redirectUris],
    token_endpoint_auth_method: input.authMethod,
    id_token_signed_response_alg: 'RS256',
  };
  if (input.authMethod === 'private_key_jwt') {
    if (input.jwks?.uri) metadata.jwks_uri = input.jwks.uri;
    else if (input.jwks?.keys) metadata.jwks = input.jwks.keys;
    else
      throw new InvalidInputError(
        'ERR_USAGE_JWKS',
        'private_key_jwt needs --jwks-uri or --jwks-file with the public keys of the other IdP',
      );
  }
  return metadata;
}

/** Settings for a new factor client of kind `idp`, before options change them. */
export function defaultFactorSettings(idp: FactorIdp): FactorSettings {
  return {
    idp,
    preferredUsername: 'email',
    unmanaged: 'deny',
    sessionSeconds: DEFAULT_FACTOR_SESSION_SECONDS,
    entra: null,
  };
}

export interface Endpoints {
  issuer: string;
  authorization: string;
  token: string;
  jwks: string;
  userinfo: string;
  discovery: string;
}

/** oidc-provider's routes under the issuer (its defaults; provider.ts does not rename them). */
export function endpointsOf(issuer: string): Endpoints {
  return {
    issuer,
    authorization: `${issuer}/auth`,
    token: `${issuer}/token`,
    jwks: `${issuer}/jwks`,
    userinfo: `${issuer}/me`,
    discovery: `${issuer}/.well-known/openid-configuration`,
  };
}

export interface SetupInput {
  endpoints: Endpoints;
  clientId: string;
  name: string;
  secret: string | null;
  authMethod: string;
  redirectUris: readonly string[];
  settings: FactorSettings;
}

/** The lines an administrator pastes into the other IdP, as label/value pairs with notes after. */
export function setupInstructions(input: SetupInput): {
  title: string;
  rows: Array<[string, string]>;
  notes: string[];
} {
  const { endpoints: e, settings } = input;
  const secret = input.secret ?? '(not shown again: create a new client to get a new secret)';
  const claims =
    `sub, email, preferred_username (= ${settings.preferredUsername}), name, amr, acr, auth_time, sid, ` +
    'device_context { managed, compliant, externalId }';
  if (settings.idp === 'entra') {
    const entra = settings.entra!;
    return {
      title: 'In the Microsoft Entra admin center: Entra ID > Authentication methods > Add external method',
      rows: [
        ['Name', input.name],
        ['Client ID', input.clientId],
        ['Discovery endpoint', e.discovery],
        ['App ID', entra.appId ?? '(the application id of your Entra app registration for Latchkey)'],
      ],
      notes: [
        `The app registration needs ${e.authorization} as a redirect (reply) URL and the openid and profile permissions.`,
        `Latchkey accepts hints from tenant ${entra.tenantId} and finds the user whose ${entra.matchField} equals the hint's ${entra.matchClaim}.`,
        "Entra receives an id_token with the hint's sub, the acr it asked for and one amr value (pop for a device certificate, fido for a passkey).",
      ],
    };
  }
  const rows: Array<[string, string]> = [
    ['Client ID', input.clientId],
    ['Client secret', input.authMethod === 'private_key_jwt' ? '(none: private_key_jwt)' : secret],
    ['Client authentication', input.authMethod],
    ['Scopes', 'openid profile email'],
    ['Issuer', e.issuer],
    ['Authorization endpoint', e.authorization],
    ['Token endpoint', e.token],
    ['JWKS endpoint', e.jwks],
    ['Userinfo endpoint', e.userinfo],
    ['Redirect URI (registered)', input.redirectUris.join(' ')],
  ];
  if (settings.idp === 'okta') {
    return {
      title: 'In Okta: Security > Identity Providers > Add identity provider > OpenID Connect IdP',
      rows: [
        ['IdP usage', settings.unmanaged === 'device_context' ? 'Device posture provider' : 'Factor only'],
        ...rows,
        ['IdP username', 'idpuser.preferred_username'],
        ['Match against', 'Okta Username'],
      ],
      notes: [
        'Then Security > Authenticators > Add authenticator > IdP Authenticator, choose this identity provider, and require it in an authentication policy.',
        `Claims Latchkey sends: ${claims}.`,
      ],
    };
  }
  return {
    title: 'In the other identity provider (an OpenID Connect IdP, code flow)',
    rows,
    notes: [`Claims Latchkey sends: ${claims}.`],
  };
}
