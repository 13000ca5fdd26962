// `latchkey api-tokens ...`: bearer tokens for the admin API (an MDM fetching SCEP challenges), each with
// scopes and an optional expiry; printed once, stored hashed, revocable. Creation and revocation are audited.
import { InvalidArgumentError, Option, type Command } from 'commander';
import { InvalidInputError } from '../errors.js';
import { ADMIN_SCOPES } from '../http/admin-auth.js';
import { parseDuration } from '../policies/duration.js';
import { isoTime, printTable, withServices, type GlobalOptions } from './common.js';

export function registerApiTokenCommands(program: Command, globals: () => GlobalOptions): void {
  const tokens = program.command('api-tokens').description('bearer tokens for the admin API');
  tokens
    .command('create')
    .description('create a token (printed once)')
    .requiredOption('--name <name>', 'who uses it, e.g. "jamf" (shown in the audit log)')
    .addOption(
      new Option('--scope <scope>', `what it may do (repeatable): ${Object.keys(ADMIN_SCOPES).join(', ')}`)
        .argParser(scopes)
        .makeOptionMandatory(),
    )
    .option('--ttl <duration>', 'expire after e.g. 90d (default: never)')
    .action((options: { name: string; scope: string[]; ttl?: string }) =>
      withServices(globals(), async (s) => {
        if (!/^[^\p{Cc}]{1,100}$/u.test(options.name)) {
          throw new InvalidInputError('ERR_USAGE_NAME', '--name must be 1-100 printable characters');
        }
        const ttlMs = options.ttl === undefined ? null : ttl(options.ttl) * 1000;
        const { token, record } = await s.adminTokens.create(
          { name: options.name, scopes: options.scope, ttlMs, createdBy: 'cli' },
          Date.now(),
        );
        await s.audit.record({
          event: 'admin.api-token.create',
          outcome: 'success',
          actor: 'cli',
          detail: { tokenId: record.id, name: record.name, scopes: record.scopes, expiresAt: record.expiresAt },
        });
        process.stdout.write(
          `admin API token ${record.id} for ${record.name} (${record.scopes.join(' ')}), ` +
            `${record.expiresAt ? `valid until ${isoTime(record.expiresAt)}` : 'no expiry'} (shown once):\n${token}\n`,
        );
      }),
    );
  tokens
    .command('list')
    .description('tokens, newest first (never the tokens themselves)')
    .action(() =>
      withServices(globals(), async (s) => {
        const now = Date.now();
        printTable(
          ['ID', 'NAME', 'SCOPES', 'CREATED', 'EXPIRES', 'LAST USED', 'STATUS'],
          (await s.adminTokens.list()).map((t) => [
            t.id,
            t.name,
            t.scopes.join(' '),
            isoTime(t.createdAt),
            isoTime(t.expiresAt),
            isoTime(t.lastUsedAt),
            t.revokedAt ? 'revoked' : t.expiresAt !== null && t.expiresAt <= now ? 'expired' : 'active',
          ]),
        );
      }),
    );
  tokens
    .command('revoke <id>')
    .description('revoke a token (refused from the next request on)')
    .action((id: string) =>
      withServices(globals(), async (s) => {
        if (!(await s.adminTokens.revoke(id, Date.now()))) {
          throw new InvalidInputError('ERR_ADMIN_TOKEN_NOT_FOUND', `no active admin API token with id ${id}`);
        }
        await s.audit.record({
          event: 'admin.api-token.revoke',
          outcome: 'success',
          actor: 'cli',
          detail: { tokenId: id },
        });
        process.stdout.write(`revoked admin API token ${id}\n`);
      }),
    );
}

/** Collects repeated --scope values, refusing unknown ones (a usage error, exit 2). */
function scopes(value: string, previous: string[] = []): string[] {
  if (!Object.hasOwn(ADMIN_SCOPES, value)) {
    throw new InvalidArgumentError(`unknown scope "${value}" (known: ${Object.keys(ADMIN_SCOPES).join(', ')})`);
  }
  return [...previous, value];
}

function ttl(value: string): number {
  const seconds = parseDuration(value);
  if (seconds === null) {
    throw new InvalidInputError('ERR_USAGE_TTL', `--ttl must be a duration such as 30d or 12h, not "${value}"`);
  }
  return seconds;
}
