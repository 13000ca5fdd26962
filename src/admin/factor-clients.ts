// Factor clients: another IdP (Okta, Microsoft Entra, any OpenID Connect IdP) sends its users here to
// prove their device. These functions turn the options an administrator gives (CLI flags, admin API
// fields, console form fields) into validated metadata and factor settings, before anything is stored;
// a refusal names the option as the caller knows it (OptionNames).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { InvalidInputError } from '../errors.js';
import {
  checkTenantId,
  defaultFactorSettings,
  endpointsOf,
  ENTRA_CLOUDS,
  entraRedirectUri,
  FACTOR_AUTH_METHODS,
  factorMetadata,
  oktaRedirectUri,
  setupInstructions,
  type EntraCloud,
  type FactorAuthMethod,
} from '../federation/factor-clients.js';
import {
  ENTRA_MATCH_CLAIMS,
  FACTOR_IDPS,
  type EntraMatchClaim,
  type EntraSettings,
  type FactorIdp,
  type FactorSettings,
  type UnmanagedAnswer,
} from '../federation/settings.js';
import { parseUserField } from '../federation/user-fields.js';
import { formatDuration, parseDuration } from '../policies/duration.js';
import { ClientRepository, type StoredClient } from '../store/clients.js';
import { CLI_FLAGS, type OptionNames } from './option-names.js';

export interface FactorSettingOptions {
  preferredUsername?: string;
  unmanaged?: string;
  sessionLifetime?: string;
  appId?: string;
  match?: string;
  entraJwksUri?: string;
  entraJwksFile?: string;
}

export interface AddFactorOptions extends FactorSettingOptions {
  name?: string;
  clientId?: string;
  oktaDomain?: string;
  tenantId?: string;
  cloud?: string;
  redirectUri?: string[];
  authMethod?: string;
  jwksUri?: string;
  jwksFile?: string;
}

/** The setting options that only an Entra factor client takes. */
const ENTRA_OPTIONS = ['appId', 'match', 'entraJwksUri', 'entraJwksFile'] as const;

/** Applies the setting options to `settings`, refusing bad values with what is accepted. */
export function applySettingOptions(
  settings: FactorSettings,
  options: FactorSettingOptions,
  name: OptionNames = CLI_FLAGS,
): FactorSettings {
  const next: FactorSettings = { ...settings, entra: settings.entra && { ...settings.entra } };
  if (options.preferredUsername !== undefined) {
    next.preferredUsername = parseUserField(options.preferredUsername, name('preferredUsername'));
  }
  if (options.unmanaged !== undefined) next.unmanaged = parseUnmanaged(options.unmanaged, name);
  if (options.sessionLifetime !== undefined) {
    const seconds = parseDuration(options.sessionLifetime);
    if (seconds === null) {
      throw new InvalidInputError(
        'ERR_USAGE_SESSION_LIFETIME',
        `${name('sessionLifetime')} must be a duration such as 30m, 12h or 7d (at most a year), not "${options.sessionLifetime}"`,
      );
    }
    next.sessionSeconds = seconds;
  }
  if (!next.entra) {
    const given = ENTRA_OPTIONS.filter((option) => options[option] !== undefined);
    if (given.length > 0) {
      throw new InvalidInputError(
        'ERR_USAGE_ENTRA_ONLY',
        `${given.map(name).join(', ')} ${given.length === 1 ? 'is' : 'are'} for Microsoft Entra factor clients only`,
      );
    }
    return next;
  }
  if (options.appId !== undefined) next.entra!.appId = options.appId || null;
  if (options.match !== undefined) Object.assign(next.entra!, parseMatch(options.match, name));
  if (options.entraJwksUri !== undefined && options.entraJwksFile !== undefined) {
    throw new InvalidInputError(
      'ERR_USAGE_ENTRA_JWKS',
      `give ${name('entraJwksUri')} or ${name('entraJwksFile')}, not both`,
    );
  }
  if (options.entraJwksUri !== undefined) {
    next.entra!.jwksUri = checkKeysUrl(options.entraJwksUri, name('entraJwksUri'));
    next.entra!.jwksFile = null;
  }
  if (options.entraJwksFile !== undefined) {
    checkKeysFile(options.entraJwksFile, name('entraJwksFile'));
    // Absolute: every node reads it, from wherever it was started.
    next.entra!.jwksFile = path.resolve(options.entraJwksFile);
    next.entra!.jwksUri = null;
  }
  if (next.entra && next.unmanaged !== 'deny') {
    throw new InvalidInputError(
      'ERR_USAGE_UNMANAGED',
      `${name('unmanaged')} device-context is for Okta and generic IdPs: Entra reads no device_context, so it would accept a sign-in without a device`,
    );
  }
  return next;
}

function parseUnmanaged(text: string, name: OptionNames): UnmanagedAnswer {
  if (text === 'deny') return 'deny';
  if (text === 'device-context' || text === 'device_context') return 'device_context';
  throw new InvalidInputError(
    'ERR_USAGE_UNMANAGED',
    `${name('unmanaged')} must be deny (access_denied) or device-context (an id_token with device_context.managed false), not "${text}"`,
  );
}

/** `--match CLAIM=FIELD`: the hint claim that names the user and the user value it must equal. */
function parseMatch(text: string, name: OptionNames): Pick<EntraSettings, 'matchClaim' | 'matchField'> {
  const [claim, field, ...rest] = text.split('=');
  if (!claim || !field || rest.length || !(ENTRA_MATCH_CLAIMS as readonly string[]).includes(claim)) {
    throw new InvalidInputError(
      'ERR_USAGE_MATCH',
      `${name('match')} must be CLAIM=FIELD with CLAIM one of ${ENTRA_MATCH_CLAIMS.join(', ')} and FIELD email, username or attribute:NAME, not "${text}"`,
    );
  }
  return { matchClaim: claim as EntraMatchClaim, matchField: parseUserField(field, `${name('match')} FIELD`) };
}

/** `text` as an https URL without a fragment (http only on this machine, for trying things out), else undefined. */
function httpsUrl(text: string): URL | undefined {
  const url = URL.canParse(text) ? new URL(text) : undefined;
  const local = url && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  return url && (url.protocol === 'https:' || (url.protocol === 'http:' && local)) && !url.hash ? url : undefined;
}

function checkKeysUrl(text: string, option: string): string {
  const url = httpsUrl(text);
  if (!url) throw new InvalidInputError('ERR_USAGE_ENTRA_JWKS', `${option} must be an https URL, not "${text}"`);
  return url.href;
}

/** Reads a JWKS file given as `option`; refuses one that cannot be read or is not a key set. */
function checkKeysFile(file: string, option: string): unknown {
  let keys: unknown;
  try {
    keys = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new InvalidInputError('ERR_USAGE_JWKS', `${option} ${file}: ${(error as Error).message}`);
  }
  if (!Array.isArray((keys as { keys?: unknown }).keys)) {
    throw new InvalidInputError('ERR_USAGE_JWKS', `${option} ${file} is not a JWKS ({"keys": [...]})`);
  }
  return keys;
}

/** A redirect URI of another IdP (httpsUrl), kept as given. */
function checkRedirectUri(text: string, option: string): string {
  if (!httpsUrl(text)) {
    throw new InvalidInputError(
      'ERR_USAGE_REDIRECT_URI',
      `${option} must be the other IdP's https callback URL (no fragment), not "${text}"`,
    );
  }
  return text;
}

function parseIdp(text: string): FactorIdp {
  if ((FACTOR_IDPS as readonly string[]).includes(text)) return text as FactorIdp;
  throw new InvalidInputError('ERR_USAGE_IDP', `the IdP must be one of ${FACTOR_IDPS.join(', ')}, not "${text}"`);
}

function parseAuthMethod(text: string | undefined, option: string): FactorAuthMethod {
  const method = text ?? 'client_secret_post';
  if ((FACTOR_AUTH_METHODS as readonly string[]).includes(method)) return method as FactorAuthMethod;
  throw new InvalidInputError(
    'ERR_USAGE_AUTH_METHOD',
    `${option} must be one of ${FACTOR_AUTH_METHODS.join(', ')}, not "${method}"`,
  );
}

/** Everything add-factor creates, before anything is stored. */
export function newFactorClient(idpText: string, options: AddFactorOptions, optionName: OptionNames = CLI_FLAGS) {
  const idp = parseIdp(idpText);
  const only = (option: 'oktaDomain' | 'tenantId' | 'cloud' | 'redirectUri', owner: FactorIdp) => {
    if (options[option] !== undefined && idp !== owner) {
      throw new InvalidInputError(
        'ERR_USAGE_FACTOR_OPTION',
        `${optionName(option)} is for ${owner} factor clients only`,
      );
    }
  };
  only('oktaDomain', 'okta');
  only('tenantId', 'entra');
  only('cloud', 'entra');
  only('redirectUri', 'generic');
  let settings = defaultFactorSettings(idp);
  let redirectUris: string[];
  let name: string;
  if (idp === 'okta') {
    if (!options.oktaDomain)
      throw new InvalidInputError('ERR_USAGE_OKTA_DOMAIN', `okta needs ${optionName('oktaDomain')} ORG.okta.com`);
    redirectUris = [oktaRedirectUri(options.oktaDomain)];
    name = options.name ?? `Okta (${new URL(redirectUris[0]!).host})`;
  } else if (idp === 'entra') {
    if (!options.tenantId) {
      throw new InvalidInputError('ERR_USAGE_TENANT_ID', `entra needs ${optionName('tenantId')} TENANT_ID`);
    }
    const cloud = (options.cloud ?? 'global') as EntraCloud;
    const authority = Object.hasOwn(ENTRA_CLOUDS, cloud) ? ENTRA_CLOUDS[cloud] : undefined;
    if (!authority) {
      throw new InvalidInputError(
        'ERR_USAGE_CLOUD',
        `${optionName('cloud')} must be one of ${Object.keys(ENTRA_CLOUDS).join(', ')}, not "${options.cloud}"`,
      );
    }
    redirectUris = [entraRedirectUri(authority)];
    name = options.name ?? 'Microsoft Entra';
    settings = {
      ...settings,
      entra: {
        tenantId: checkTenantId(options.tenantId),
        appId: null,
        authority,
        jwksUri: null,
        jwksFile: null,
        matchClaim: 'preferred_username',
        matchField: 'email',
      },
    };
  } else {
    if (!options.redirectUri?.length) {
      throw new InvalidInputError(
        'ERR_USAGE_REDIRECT_URI',
        `generic needs ${optionName('redirectUri')} (the other IdP's callback URL)`,
      );
    }
    redirectUris = options.redirectUri.map((uri) => checkRedirectUri(uri, optionName('redirectUri')));
    name = options.name ?? 'Federated identity provider';
  }
  settings = applySettingOptions(settings, options, optionName);
  const authMethod = idp === 'entra' ? 'none' : parseAuthMethod(options.authMethod, optionName('authMethod'));
  const keyOptions = (['jwksUri', 'jwksFile'] as const).filter((option) => options[option] !== undefined);
  if (authMethod !== 'private_key_jwt' && keyOptions.length > 0) {
    throw new InvalidInputError(
      'ERR_USAGE_JWKS',
      `${keyOptions.map(optionName).join(' and ')} ${keyOptions.length === 1 ? 'is' : 'are'} for ${optionName('authMethod')} private_key_jwt`,
    );
  }
  if (idp === 'entra' && options.authMethod !== undefined) {
    throw new InvalidInputError(
      'ERR_USAGE_AUTH_METHOD',
      `Entra never calls the token endpoint: ${optionName('authMethod')} does not apply`,
    );
  }
  const metadata = factorMetadata({
    idp,
    clientId: options.clientId ?? ClientRepository.newClientId(),
    name,
    redirectUris,
    authMethod: authMethod === 'none' ? 'client_secret_post' : authMethod,
    jwks: {
      uri: options.jwksUri,
      keys: options.jwksFile ? checkKeysFile(options.jwksFile, optionName('jwksFile')) : undefined,
    },
  });
  const secret =
    authMethod === 'client_secret_post' || authMethod === 'client_secret_basic'
      ? ClientRepository.newClientSecret()
      : null;
  if (secret) metadata.client_secret = secret;
  return { name, metadata, secret, settings };
}

/** What to paste into the other IdP, as a title, labelled rows and notes (the secret only when just created). */
export function factorSetup(
  issuer: string,
  client: Pick<StoredClient, 'clientId' | 'name' | 'metadata'>,
  settings: FactorSettings,
  secret: string | null,
): { title: string; rows: Array<[string, string]>; notes: string[] } {
  const setup = setupInstructions({
    endpoints: endpointsOf(issuer),
    clientId: client.clientId,
    name: client.name,
    secret,
    authMethod: String(client.metadata.token_endpoint_auth_method),
    redirectUris: (client.metadata.redirect_uris as string[] | undefined) ?? [],
    settings,
  });
  const notes = [
    ...setup.notes,
    `Devices proven for this client are relied on for ${formatDuration(settings.sessionSeconds)}; ` +
      `a sign-in without a trusted device gets ${settings.unmanaged === 'deny' ? 'access_denied' : 'device_context.managed: false'}.`,
  ];
  if (secret) notes.push('(the secret is shown only now: paste it into the other IdP)');
  return { title: setup.title, rows: setup.rows, notes };
}

/** `client` as a factor client, or InvalidInputError ERR_USAGE_NOT_FACTOR. */
export function asFactorClient(client: StoredClient): StoredClient & { factor: FactorSettings } {
  if (client.kind !== 'factor' || !client.factor) {
    throw new InvalidInputError(
      'ERR_USAGE_NOT_FACTOR',
      `client ${client.clientId} is not a factor client (kind ${client.kind})`,
    );
  }
  return client as StoredClient & { factor: FactorSettings };
}
