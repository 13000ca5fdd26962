// `latchkey clients add-factor|set-factor|setup`: another IdP (Okta, Microsoft Entra, any OpenID Connect
// IdP) sends its users here to prove their device (admin/clients.ts and admin/factor-clients.ts do the
// work); the set-up lines for the other IdP are printed, the secret once.
import type { Command } from 'commander';
import type { AddFactorOptions, FactorSettingOptions } from '../admin/factor-clients.js';
import { FACTOR_AUTH_METHODS, endpointsOf } from '../federation/factor-clients.js';
import { CLI, withAdmin } from './admin-services.js';
import { collect, type GlobalOptions } from './common.js';

/** Prints set-up lines as the admin service returns them. */
function printSetup(setup: { title: string; rows: Array<[string, string]>; notes: string[] }): void {
  const width = Math.max(...setup.rows.map(([label]) => label.length));
  process.stdout.write(`${setup.title}\n`);
  for (const [label, value] of setup.rows) process.stdout.write(`  ${label.padEnd(width)}  ${value}\n`);
  for (const note of setup.notes) process.stdout.write(`${note}\n`);
}

const settingFlags = (command: Command) =>
  command
    .option(
      '--preferred-username <field>',
      'what preferred_username carries: email (default), username or attribute:NAME',
    )
    .option('--unmanaged <answer>', 'a sign-in without a trusted device gets: deny (default) or device-context')
    .option('--session-lifetime <duration>', 'how long a proven device is relied on, e.g. 12h (default), 30m, 7d')
    .option('--app-id <id>', 'entra: the application id of the Entra app registration (accepted as the hint audience)')
    .option(
      '--match <claim=field>',
      'entra: hint claim = user field that names the user (default preferred_username=email)',
    )
    .option('--entra-jwks-uri <url>', "entra: the tenant's signing keys (default Microsoft's keys URL for the tenant)")
    .option('--entra-jwks-file <file>', "entra: the tenant's signing keys from a file");

export function registerFactorCommands(clients: Command, globals: () => GlobalOptions): void {
  settingFlags(
    clients
      .command('add-factor <idp>')
      .description('register another IdP (okta, entra or generic) that sends its users here to prove their device')
      .option('--name <name>', 'display name shown on sign-in pages')
      .option('--client-id <id>', 'client id (default: random)')
      .option('--okta-domain <host>', 'okta: your org, e.g. acme.okta.com (or its custom domain)')
      .option('--tenant-id <id>', 'entra: the directory (tenant) id whose users are sent here')
      .option('--cloud <cloud>', 'entra: global (default), usgov or china')
      .option('--redirect-uri <uri>', "generic: the other IdP's callback URL (repeatable)", collect)
      .option('--auth-method <method>', `token endpoint auth: ${FACTOR_AUTH_METHODS.join(', ')}`)
      .option('--jwks-uri <uri>', "private_key_jwt: the other IdP's public keys URL")
      .option('--jwks-file <file>', "private_key_jwt: the other IdP's public keys")
      .option('--json', 'print the result as JSON'),
  ).action((idp: string, options: AddFactorOptions & { json?: boolean }) =>
    withAdmin(globals(), async (admin, s) => {
      const { client, secret, setup } = await admin.clients.createFactor(idp, options, CLI);
      if (options.json) {
        process.stdout.write(
          JSON.stringify({
            client_id: client.clientId,
            client_secret: secret ?? undefined,
            ...endpointsOf(s.config.issuer),
            redirect_uris: client.metadata.redirect_uris,
          }) + '\n',
        );
        return;
      }
      process.stdout.write(`created factor client ${client.name}\n\n`);
      printSetup(setup);
    }),
  );

  settingFlags(
    clients.command('set-factor <clientId>').description('change what a factor client is set up to do'),
  ).action((clientId: string, options: FactorSettingOptions) =>
    withAdmin(globals(), async (admin) => {
      const client = await admin.clients.updateFactor(clientId, options, CLI);
      process.stdout.write(`updated factor client ${client.name}\n`);
    }),
  );

  clients
    .command('setup <clientId>')
    .description("print again what to paste into a factor client's IdP (without its secret)")
    .action((clientId: string) =>
      withAdmin(globals(), async (admin) => {
        printSetup(await admin.clients.factorSetup(clientId));
      }),
    );
}
