// `latchkey clients ...`: relying parties. Metadata is validated by oidc-provider itself before it is
// stored, so what the CLI accepts is exactly what the provider will serve. Secrets are shown once.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { InvalidInputError } from '../errors.js';
import { CLIENT_KINDS, ClientRepository, type ClientKind, type ClientMetadata } from '../store/clients.js';
import { serializeFactorSettings } from '../federation/settings.js';
import { withoutRuntimeWarning } from '../server/runtime-warning.js';
import type { Services } from '../server/services.js';
import { collect, isoTime, printTable, withServices, type GlobalOptions } from './common.js';
import { registerFactorCommands } from './factor-clients.js';

const AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'];
const SECRET_METHODS = new Set(['client_secret_basic', 'client_secret_post']);

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
  jwksFile?: string;
}

/** Turns CLI options into client metadata, refusing contradictions before oidc-provider sees them. */
export function clientMetadataFrom(options: ClientAddOptions): {
  metadata: ClientMetadata;
  kind: ClientKind;
  secret: string | null;
} {
  if (options.kind === 'factor') {
    throw new InvalidInputError(
      'ERR_USAGE_KIND',
      'a factor client is registered with `latchkey clients add-factor okta|entra|generic` (it needs factor settings)',
    );
  }
  if (!(CLIENT_KINDS as readonly string[]).includes(options.kind)) {
    throw new InvalidInputError(
      'ERR_USAGE_KIND',
      `--kind must be one of first_party, third_party, not "${options.kind}"`,
    );
  }
  const authMethod = options.public ? 'none' : (options.authMethod ?? 'client_secret_basic');
  if (!AUTH_METHODS.includes(authMethod)) {
    throw new InvalidInputError(
      'ERR_USAGE_AUTH_METHOD',
      `--auth-method must be one of ${AUTH_METHODS.join(', ')}, not "${authMethod}"`,
    );
  }
  const grantTypes = options.grantType?.length ? options.grantType : ['authorization_code', 'refresh_token'];
  const interactive = grantTypes.includes('authorization_code');
  if (interactive && !options.redirectUri?.length) {
    throw new InvalidInputError(
      'ERR_USAGE_REDIRECT_URI',
      'a client using authorization_code needs at least one --redirect-uri',
    );
  }
  if (authMethod === 'none' && grantTypes.includes('client_credentials')) {
    throw new InvalidInputError('ERR_USAGE_PUBLIC_CC', 'a public client (--public) cannot use client_credentials');
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
    else if (options.jwksFile) metadata.jwks = JSON.parse(readFileSync(options.jwksFile, 'utf8')) as unknown;
    else
      throw new InvalidInputError(
        'ERR_USAGE_JWKS',
        'private_key_jwt needs --jwks-uri or --jwks-file with the client public keys',
      );
  }
  const secret = SECRET_METHODS.has(authMethod) ? ClientRepository.newClientSecret() : null;
  if (secret) metadata.client_secret = secret;
  return { metadata, kind: options.kind as ClientKind, secret };
}

/** Validates metadata with oidc-provider's own client schema (throws its invalid_client_metadata). */
export async function validateWithProvider(s: Services, metadata: ClientMetadata): Promise<void> {
  await s.keys.ensureSigningKeys();
  // Loaded here, not at the top: only this command needs oidc-provider (and its warning about Node 20
  // is for the server's log, not this command's output).
  const { createProvider } = await withoutRuntimeWarning(() => import('../oidc/provider.js'));
  const provider = createProvider({
    config: s.config,
    store: s.oidcStore,
    users: s.users,
    jwks: { keys: (await s.keys.providerKeys()).keys },
    cookieKeys: ['validation-only'],
  });
  try {
    await provider.Client.validate(metadata);
  } catch (error) {
    const e = error as { error?: string; error_description?: string; message: string };
    throw new InvalidInputError('ERR_CLIENT_METADATA', `invalid client: ${e.error_description ?? e.message}`);
  }
}

export function registerClientCommands(program: Command, globals: () => GlobalOptions): void {
  const clients = program.command('clients').description('manage OIDC clients (relying parties)');

  clients
    .command('add')
    .description('register a client; its secret is printed once')
    .requiredOption('--name <name>', 'display name shown on sign-in pages')
    .option('--client-id <id>', 'client id (default: random)')
    .option('--redirect-uri <uri>', 'allowed redirect URI (repeat for several)', collect)
    .option('--post-logout-redirect-uri <uri>', 'allowed post-logout redirect URI (repeatable)', collect)
    .option(
      '--grant-type <type>',
      'authorization_code, refresh_token, client_credentials (repeatable; default the first two)',
      collect,
    )
    .option('--auth-method <method>', `token endpoint auth: ${AUTH_METHODS.join(', ')}`)
    .option('--public', 'public client (no secret, PKCE required); same as --auth-method none')
    .option('--kind <kind>', 'first_party | third_party (first_party skips the consent screen)', 'first_party')
    .option('--id-token-alg <alg>', 'id_token signing algorithm: RS256 or ES256', 'RS256')
    .option('--jwks-uri <uri>', 'client JWKS URL (private_key_jwt)')
    .option('--jwks-file <file>', 'client JWKS file (private_key_jwt)')
    .option('--json', 'print the result as JSON')
    .action((options: ClientAddOptions & { json?: boolean }) =>
      withServices(globals(), async (s) => {
        const { metadata, kind, secret } = clientMetadataFrom(options);
        await validateWithProvider(s, metadata);
        await s.clients.add({ name: options.name, kind, metadata, secret });
        await s.audit.record({
          event: 'admin.client.add',
          outcome: 'success',
          actor: 'cli',
          clientId: metadata.client_id,
        });
        if (options.json) {
          process.stdout.write(
            JSON.stringify({ client_id: metadata.client_id, client_secret: secret ?? undefined }) + '\n',
          );
          return;
        }
        process.stdout.write(`created client ${options.name}\n  client_id:     ${metadata.client_id}\n`);
        if (secret)
          process.stdout.write(
            `  client_secret: ${secret}\n  (the secret is shown only now: store it in the relying party)\n`,
          );
      }),
    );

  registerFactorCommands(clients, globals);

  clients.command('list').action(() =>
    withServices(globals(), async (s) => {
      printTable(
        ['CLIENT_ID', 'NAME', 'KIND', 'AUTH', 'CREATED'],
        (await s.clients.list()).map((c) => [
          c.clientId,
          c.name,
          c.kind,
          String(c.metadata.token_endpoint_auth_method),
          isoTime(c.createdAt),
        ]),
      );
    }),
  );

  clients.command('show <clientId>').action((clientId: string) =>
    withServices(globals(), async (s) => {
      const c = await s.clients.require(clientId);
      const factor = c.factor ? JSON.parse(serializeFactorSettings(c.factor)) : undefined;
      process.stdout.write(
        JSON.stringify({ ...c.metadata, kind: c.kind, has_secret: c.hasSecret, factor }, null, 2) + '\n',
      );
    }),
  );

  clients.command('remove <clientId>').action((clientId: string) =>
    withServices(globals(), async (s) => {
      await s.clients.remove(clientId);
      await s.audit.record({ event: 'admin.client.remove', outcome: 'success', actor: 'cli', clientId });
      process.stdout.write(`removed client ${clientId}\n`);
    }),
  );
}
