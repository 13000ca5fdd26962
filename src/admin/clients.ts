// Client administration: relying parties, factor clients (other IdPs) and admin API clients. Metadata is
// validated by oidc-provider itself (the `validateMetadata` port) before it is stored, so what is accepted
// is exactly what the provider will serve. Secrets are returned once, at creation and at rotation.
import { readFileSync } from 'node:fs';
import { serializeFactorSettings, type FactorSettings } from '../federation/settings.js';
import { ClientRepository, type ClientKind, type ClientMetadata, type StoredClient } from '../store/clients.js';
import { ConflictError, InvalidInputError } from '../errors.js';
import { isBuiltInClient } from '../policies/index.js';
import { recordChange, refuseEscalation, type AdminOrigin, type AuditPort } from './context.js';
import {
  applySettingOptions,
  asFactorClient,
  factorSetup,
  newFactorClient,
  type AddFactorOptions,
  type FactorSettingOptions,
} from './factor-clients.js';
import { ADMIN_API_SCOPES, type AdminApiScope } from './scopes.js';
import { CLI_FLAGS, type OptionNames } from './option-names.js';

export const AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'] as const;
const SECRET_METHODS = new Set(['client_secret_basic', 'client_secret_post']);
/** Kinds created by `add`: factor and admin clients have their own constructors. */
const RELYING_PARTY_KINDS = ['first_party', 'third_party'] as const;

export interface ClientAddOptions {
  name: string;
  clientId?: string;
  redirectUri?: string[];
  postLogoutRedirectUri?: string[];
  grantType?: string[];
  authMethod?: string;
  public?: boolean;
  kind: string;
  idTokenAlg: string;
  jwksUri?: string;
  /** The client's public keys (private_key_jwt), inline. */
  jwks?: unknown;
  /** The client's public keys (private_key_jwt), from a file (CLI). */
  jwksFile?: string;
}

export interface ClientAdminDeps {
  clients: ClientRepository;
  audit: AuditPort;
  issuer: string;
  /** oidc-provider's own client schema; throws InvalidInputError ERR_CLIENT_METADATA. */
  validateMetadata(metadata: ClientMetadata): Promise<void>;
}

/** A client as administrators see it: metadata without the secret. */
export interface ClientView {
  clientId: string;
  name: string;
  kind: ClientKind;
  hasSecret: boolean;
  metadata: Record<string, unknown>;
  factor: Record<string, unknown> | null;
  createdAt: number;
}

/** A client just created or given a new secret: the secret appears here and nowhere else, ever. */
export interface ClientWithSecret {
  client: ClientView;
  secret: string | null;
}

export class ClientAdmin {
  constructor(private readonly deps: ClientAdminDeps) {}

  async list(): Promise<ClientView[]> {
    return (await this.deps.clients.list()).map(clientView);
  }

  async show(clientId: string): Promise<ClientView> {
    return clientView(await this.deps.clients.require(clientId));
  }

  /** Registers a relying party (first_party or third_party). */
  async create(
    options: ClientAddOptions,
    origin: AdminOrigin,
    names: OptionNames = CLI_FLAGS,
  ): Promise<ClientWithSecret> {
    const { metadata, kind, secret } = clientMetadataFrom(options, names);
    return this.store({ name: options.name, kind, metadata, secret }, origin, []);
  }

  /** Registers another IdP that sends its users here to prove their device. */
  async createFactor(idp: string, options: AddFactorOptions, origin: AdminOrigin, names: OptionNames = CLI_FLAGS) {
    const { name, metadata, secret, settings } = newFactorClient(idp, options, names);
    const created = await this.store({ name, kind: 'factor', metadata, secret, factor: settings }, origin, [
      `factor ${settings.idp}`,
    ]);
    return {
      ...created,
      setup: factorSetup(this.deps.issuer, { clientId: metadata.client_id, name, metadata }, settings, secret),
    };
  }

  /** Registers an admin API client: client credentials only, limited to `scopes`. */
  async createAdmin(
    input: { name: string; clientId?: string; scopes: readonly string[] },
    origin: AdminOrigin,
  ): Promise<ClientWithSecret> {
    const scopes = adminScopes(input.scopes);
    refuseEscalation(origin, scopes, 'an admin client with these scopes');
    const secret = ClientRepository.newClientSecret();
    const metadata: ClientMetadata = {
      client_id: input.clientId ?? ClientRepository.newClientId(),
      client_name: input.name,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: scopes.join(' '),
      client_secret: secret,
    };
    return this.store({ name: input.name, kind: 'admin', metadata, secret }, origin, [`scopes ${scopes.join(' ')}`]);
  }

  /** Changes what a factor client is set up to do. */
  async updateFactor(
    clientId: string,
    options: FactorSettingOptions,
    origin: AdminOrigin,
    names: OptionNames = CLI_FLAGS,
  ): Promise<ClientView> {
    await this.refuseForeignAdmin(clientId, origin);
    const client = asFactorClient(await this.deps.clients.require(clientId));
    await this.deps.clients.setFactor(clientId, applySettingOptions(client.factor, options, names));
    await recordChange(this.deps.audit, origin, 'admin.client.update', { clientId });
    return this.show(clientId);
  }

  /** What to paste into a factor client's IdP again (without its secret). */
  async factorSetup(clientId: string) {
    const client = asFactorClient(await this.deps.clients.require(clientId));
    return factorSetup(this.deps.issuer, client, client.factor, null);
  }

  /** Gives the client a new secret; the old one stops working at once on every node. */
  async rotateSecret(clientId: string, origin: AdminOrigin): Promise<ClientWithSecret> {
    refuseBuiltIn(clientId);
    await this.refuseForeignAdmin(clientId, origin);
    const secret = await this.deps.clients.rotateSecret(clientId);
    await recordChange(this.deps.audit, origin, 'admin.client.rotate-secret', { clientId });
    return { client: await this.show(clientId), secret };
  }

  async remove(clientId: string, origin: AdminOrigin): Promise<void> {
    refuseBuiltIn(clientId);
    await this.refuseForeignAdmin(clientId, origin);
    await this.deps.clients.remove(clientId);
    await recordChange(this.deps.audit, origin, 'admin.client.remove', { clientId });
  }

  /** An admin client may be re-keyed or removed only by a caller holding every scope it has. */
  private async refuseForeignAdmin(clientId: string, origin: AdminOrigin): Promise<void> {
    const client = await this.deps.clients.find(clientId);
    if (client?.kind !== 'admin') return;
    const scopes = typeof client.metadata.scope === 'string' ? client.metadata.scope.split(' ').filter(Boolean) : [];
    refuseEscalation(origin, scopes, `changing admin client ${clientId}`);
  }

  private async store(
    input: { name: string; kind: ClientKind; metadata: ClientMetadata; secret: string | null; factor?: FactorSettings },
    origin: AdminOrigin,
    reasons: string[],
  ): Promise<ClientWithSecret> {
    await this.deps.validateMetadata(input.metadata);
    await this.deps.clients.add(input);
    await recordChange(this.deps.audit, origin, 'admin.client.add', { clientId: input.metadata.client_id, reasons });
    return { client: await this.show(input.metadata.client_id), secret: input.secret };
  }
}

function refuseBuiltIn(clientId: string): void {
  if (isBuiltInClient(clientId)) {
    throw new ConflictError(
      'ERR_CLIENT_BUILT_IN',
      `${clientId} is Latchkey's own client (its account page or admin console) and cannot be changed or removed`,
    );
  }
}

function clientView(client: StoredClient): ClientView {
  return {
    clientId: client.clientId,
    name: client.name,
    kind: client.kind,
    hasSecret: client.hasSecret,
    metadata: client.metadata,
    factor: client.factor ? (JSON.parse(serializeFactorSettings(client.factor)) as Record<string, unknown>) : null,
    createdAt: client.createdAt,
  };
}

/** The admin API scopes asked for, each known and none twice; at least one. */
function adminScopes(requested: readonly string[]): AdminApiScope[] {
  const unknown = requested.filter((scope) => !Object.hasOwn(ADMIN_API_SCOPES, scope));
  if (requested.length === 0 || unknown.length > 0) {
    throw new InvalidInputError(
      'ERR_USAGE_SCOPE',
      `${requested.length === 0 ? 'an admin client needs at least one scope' : `unknown scope ${unknown.join(', ')}`}; the scopes are ${Object.keys(ADMIN_API_SCOPES).join(', ')}`,
    );
  }
  return [...new Set(requested)] as AdminApiScope[];
}

/**
 * Turns client options into metadata, refusing contradictions before oidc-provider sees them (a refusal
 * names the options as `name` says the caller calls them).
 */
export function clientMetadataFrom(
  options: ClientAddOptions,
  name: OptionNames = CLI_FLAGS,
): {
  metadata: ClientMetadata;
  kind: ClientKind;
  secret: string | null;
} {
  if (options.kind === 'factor' || options.kind === 'admin') {
    throw new InvalidInputError(
      'ERR_USAGE_KIND',
      options.kind === 'factor'
        ? 'a factor client is registered with `latchkey clients add-factor okta|entra|generic` (it needs factor settings)'
        : 'an admin API client is registered with `latchkey clients add-admin` (it needs scopes)',
    );
  }
  if (!(RELYING_PARTY_KINDS as readonly string[]).includes(options.kind)) {
    throw new InvalidInputError(
      'ERR_USAGE_KIND',
      `${name('kind')} must be one of first_party, third_party, not "${options.kind}"`,
    );
  }
  const authMethod = options.public ? 'none' : (options.authMethod ?? 'client_secret_basic');
  if (!(AUTH_METHODS as readonly string[]).includes(authMethod)) {
    throw new InvalidInputError(
      'ERR_USAGE_AUTH_METHOD',
      `${name('authMethod')} must be one of ${AUTH_METHODS.join(', ')}, not "${authMethod}"`,
    );
  }
  const grantTypes = options.grantType?.length ? options.grantType : ['authorization_code', 'refresh_token'];
  const interactive = grantTypes.includes('authorization_code');
  if (interactive && !options.redirectUri?.length) {
    throw new InvalidInputError(
      'ERR_USAGE_REDIRECT_URI',
      `a client using authorization_code needs at least one ${name('redirectUri')}`,
    );
  }
  if (authMethod === 'none' && grantTypes.includes('client_credentials')) {
    throw new InvalidInputError(
      'ERR_USAGE_PUBLIC_CC',
      `a public client (${name('public')}) cannot use client_credentials`,
    );
  }
  const metadata: ClientMetadata = {
    client_id: options.clientId ?? ClientRepository.newClientId(),
    client_name: options.name,
    grant_types: grantTypes,
    response_types: interactive ? ['code'] : [],
    redirect_uris: options.redirectUri ?? [],
    token_endpoint_auth_method: authMethod,
    id_token_signed_response_alg: options.idTokenAlg,
  };
  if (options.postLogoutRedirectUri?.length) metadata.post_logout_redirect_uris = options.postLogoutRedirectUri;
  if (authMethod === 'private_key_jwt') {
    if (options.jwksUri) metadata.jwks_uri = options.jwksUri;
    else if (options.jwks !== undefined) metadata.jwks = options.jwks;
    else if (options.jwksFile) metadata.jwks = JSON.parse(readFileSync(options.jwksFile, 'utf8')) as unknown;
    else
      throw new InvalidInputError(
        'ERR_USAGE_JWKS',
        `private_key_jwt needs ${name('jwksUri')} or ${name('jwksFile')} with the client public keys`,
      );
  }
  const secret = SECRET_METHODS.has(authMethod) ? ClientRepository.newClientSecret() : null;
  if (secret) metadata.client_secret = secret;
  return { metadata, kind: options.kind as ClientKind, secret };
}
