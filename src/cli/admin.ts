// `latchkey config|keys|audit ...`: configuration check, signing-key rotation and the audit log.
import { accessSync, constants } from 'node:fs';
import type { Command } from 'commander';
import type { LoadedConfig } from '../config/load.js';
import { ConfigError, InvalidInputError } from '../errors.js';
import { describePolicyIssue, problemCount } from '../server/policy-issues.js';
import { CLI, withAdmin } from './admin-services.js';
import { isoTime, printTable, readConfig, withServices, type GlobalOptions } from './common.js';

export function registerAdminCommands(program: Command, globals: () => GlobalOptions): void {
  program
    .command('config')
    .description('configuration')
    .command('check')
    .description('validate the configuration exactly as start-up does, without starting')
    .action(async () => {
      const config = readConfig(globals());
      const policies = await startupProblems(config);
      process.stdout.write(
        `configuration OK\n  files:    ${config.sources.join(', ')}\n  issuer:   ${config.issuer}\n  database: ${config.database.url ? 'postgresql' : 'sqlite'}\n  sessions: ${config.redis.url ? 'redis' : 'sql'}\n  policies: ${policies}\n`,
      );
    });

  const keys = program.command('keys').description('token signing keys');
  keys
    .command('list')
    .description('signing keys with their state, and how many live nodes publish the current set')
    .action(() =>
      withAdmin(globals(), async (admin) => {
        const { keys: list, nodes } = await admin.keys.list();
        printTable(
          ['KID', 'ALG', 'STATE', 'CREATED', 'SIGNS FROM', 'RETIRED'],
          list.map((k) => [
            k.kid,
            k.alg,
            k.state,
            isoTime(k.createdAt),
            isoTime(k.activatesAt ?? k.createdAt),
            isoTime(k.retiredAt),
          ]),
        );
        process.stdout.write(`\n${nodes.current} of ${nodes.live} live node(s) publish exactly these keys\n`);
      }),
    );
  keys
    .command('rotate')
    .description(
      "add new RS256 and ES256 keys: published in every node's JWKS now, signing after cluster.key_activation_delay_seconds",
    )
    .action(() =>
      withAdmin(globals(), async (admin, s) => {
        const { added, signsFrom } = await admin.keys.rotate(CLI);
        const delay = s.config.cluster.key_activation_delay_seconds;
        for (const k of added) process.stdout.write(`added ${k.alg} key ${k.kid}\n`);
        process.stdout.write(
          `every node publishes them within ${s.config.cluster.poll_seconds} s; they sign from ${isoTime(signsFrom)} (in ${delay} s)\n` +
            'retire the previous keys (latchkey keys retire KID) once tokens they signed have expired\n',
        );
      }),
    );
  keys
    .command('retire <kid>')
    .description('remove a key from the JWKS (tokens it signed stop verifying); the key signing now cannot be retired')
    .action((kid: string) =>
      withAdmin(globals(), async (admin) => {
        await admin.keys.retire(kid, CLI);
        process.stdout.write(`retired ${kid}\n`);
      }),
    );

  const audit = program.command('audit').description('the audit log');
  for (const name of ['tail', 'search']) {
    audit
      .command(name)
      .description(name === 'tail' ? 'the newest events' : 'events matching filters')
      .option('--user <username>', 'only this user')
      .option('--client <clientId>', 'only this client')
      .option('--event <event>', 'only this event type (e.g. login.password)')
      .option('--since <when>', 'ISO time or a duration ago such as 30m, 24h, 7d')
      .option('-n, --limit <n>', 'at most this many events', '50')
      .option('--json', 'one JSON object per line')
      .action(
        (options: { user?: string; client?: string; event?: string; since?: string; limit: string; json?: boolean }) =>
          withServices(globals(), async (s) => {
            const limit = Number(options.limit);
            if (!Number.isInteger(limit) || limit < 1)
              throw new InvalidInputError(
                'ERR_USAGE_LIMIT',
                `--limit must be a positive integer, not "${options.limit}"`,
              );
            const events = await s.audit.search({
              username: options.user,
              clientId: options.client,
              event: options.event,
              since: options.since ? parseSince(options.since) : undefined,
              limit,
            });
            if (options.json) {
              for (const e of events)
                process.stdout.write(JSON.stringify({ ...e, at: new Date(e.at).toISOString() }) + '\n');
              return;
            }
            printTable(
              ['TIME', 'EVENT', 'OUTCOME', 'USER', 'CLIENT', 'IP', 'REASONS'],
              events
                .reverse()
                .map((e) => [
                  isoTime(e.at),
                  e.event,
                  e.outcome,
                  e.username ?? e.userId,
                  e.clientId,
                  e.ip,
                  e.reasons.join('; '),
                ]),
            );
          }),
      );
  }
}

/**
 * What start-up reads besides the settings: the TLS files (a start-up error) and the policy file (the
 * server would start but refuse every sign-in). Throws a ConfigError listing them; else describes the
 * policy source. Database and Redis are not contacted: `config check` also runs where they are not.
 */
async function startupProblems(config: LoadedConfig): Promise<string> {
  const problems: string[] = [];
  for (const [setting, file] of [
    ['server.tls.cert_file', config.server.tls.cert_file],
    ['server.tls.key_file', config.server.tls.key_file],
    ['device_check.tls.cert_file', config.device_check.tls.cert_file],
    ['device_check.tls.key_file', config.device_check.tls.key_file],
  ] as const) {
    if (file === null) continue;
    try {
      accessSync(file, constants.R_OK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      problems.push(
        `${setting} = ${JSON.stringify(file)}: ${code === 'ENOENT' ? 'not found' : `cannot be read (${code})`}`,
      );
    }
  }
  const { readPolicyFile, resolvePolicyFile } = await import('../interactions/policy-source.js');
  const file = resolvePolicyFile(config.policies.file);
  const result = readPolicyFile(file);
  if (!result.ok) {
    const issues = result.issues.map((issue) => `\n      ${describePolicyIssue(issue)}`).join('');
    problems.push(
      `the policy file ${file} has ${problemCount(result.issues)} (the server would start but refuse every sign-in):${issues}`,
    );
  }
  if (problems.length > 0)
    throw new ConfigError(`invalid configuration:\n  - ${problems.join('\n  - ')}`, { problems });
  return file ?? 'built-in policies (no policy file)';
}

/** "30m", "24h", "7d" ago, or an ISO date/time. */
export function parseSince(value: string, now = Date.now()): number {
  const match = /^(\d+)([smhd])$/.exec(value);
  if (match) return now - Number(match[1]) * { s: 1e3, m: 6e4, h: 36e5, d: 864e5 }[match[2] as 's' | 'm' | 'h' | 'd'];
  const at = Date.parse(value);
  if (Number.isNaN(at))
    throw new InvalidInputError(
      'ERR_USAGE_SINCE',
      `--since must be a duration like 30m/24h/7d or an ISO time, not "${value}"`,
    );
  return at;
}
