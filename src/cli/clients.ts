// `latchkey clients ...`: relying parties, factor clients and admin API clients (admin/clients.ts does the
// work: metadata validated by oidc-provider itself, secrets returned once).
import type { Command } from 'commander';
import { AUTH_METHODS, type ClientAddOptions, type ClientWithSecret } from '../admin/clients.js';
import { ADMIN_API_SCOPES } from '../admin/scopes.js';
import { CLI, withAdmin } from './admin-services.js';
import { collect, isoTime, printTable, type GlobalOptions } from './common.js';
import { registerFactorCommands } from './factor-clients.js';

export type { ClientAddOptions } from '../admin/clients.js';

/** Prints a client id and, when there is one, its secret with the warning that it is shown only now. */
function printCreated(verb: string, { client, secret }: ClientWithSecret, json: boolean | undefined): void {
  if (json) {
    process.stdout.write(JSON.stringify({ client_id: client.clientId, client_secret: secret ?? undefined }) + '\n');
    return;
  }
  process.stdout.write(`${verb} ${client.name}\n  client_id:     ${client.clientId}\n`);
  if (secret)
    process.stdout.write(`  client_secret: ${secret}\n  (the secret is shown only now: store it in the client)\n`);
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
      withAdmin(globals(), async (admin) => {
        printCreated('created client', await admin.clients.create(options, CLI), options.json);
      }),
    );

  clients
    .command('add-admin')
    .description('register an admin API client (client credentials); its secret is printed once')
    .requiredOption('--name <name>', 'what the client is (shown in the audit log as client:<id>)')
    .requiredOption(
      '--scope <scope>',
      `an admin API scope it may ask for (repeatable): ${Object.keys(ADMIN_API_SCOPES).join(', ')}`,
      collect,
    )
    .option('--client-id <id>', 'client id (default: random)')
    .option('--json', 'print the result as JSON')
    .action((options: { name: string; scope: string[]; clientId?: string; json?: boolean }) =>
      withAdmin(globals(), async (admin) => {
        const created = await admin.clients.createAdmin(
          { name: options.name, clientId: options.clientId, scopes: options.scope },
          CLI,
        );
        printCreated('created admin API client', created, options.json);
      }),
    );

  clients
    .command('rotate-secret <clientId>')
    .description('give a client a new secret (printed once); the old one stops working at once')
    .option('--json', 'print the result as JSON')
    .action((clientId: string, options: { json?: boolean }) =>
      withAdmin(globals(), async (admin) => {
        printCreated('new secret for', await admin.clients.rotateSecret(clientId, CLI), options.json);
      }),
    );

  registerFactorCommands(clients, globals);

  clients.command('list').action(() =>
    withAdmin(globals(), async (admin) => {
      printTable(
        ['CLIENT_ID', 'NAME', 'KIND', 'AUTH', 'CREATED'],
        (await admin.clients.list()).map((c) => [
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
    withAdmin(globals(), async (admin) => {
      const c = await admin.clients.show(clientId);
      process.stdout.write(
        JSON.stringify(
          { ...c.metadata, kind: c.kind, has_secret: c.hasSecret, factor: c.factor ?? undefined },
          null,
          2,
        ) + '\n',
      );
    }),
  );

  clients.command('remove <clientId>').action((clientId: string) =>
    withAdmin(globals(), async (admin) => {
      await admin.clients.remove(clientId, CLI);
      process.stdout.write(`removed client ${clientId}\n`);
    }),
  );
}
