// `latchkey users ...` and `latchkey groups ...`: people, their credentials and their groups.
import type { Command } from 'commander';
import { InvalidInputError } from '../errors.js';
import { ATTRIBUTE_NAME } from '../federation/user-fields.js';
import { isoTime, printTable, readSecret, withServices, type GlobalOptions } from './common.js';

// argon2 (native), the TOTP library and the QR code renderer are loaded by the commands that use them.
async function hashPassword(password: string): Promise<string> {
  return (await import('../credentials/passwords.js')).hashPassword(password);
}

export function registerUserCommands(program: Command, globals: () => GlobalOptions): void {
  const users = program.command('users').description('manage users and their credentials');

  users
    .command('add <username>')
    .description('create a user (asks for a password unless --no-password)')
    .option('--email <email>', 'email address (released as email and preferred_username)')
    .option('--name <name>', 'display name')
    .option('--password-stdin', 'read the password from standard input')
    .option('--no-password', 'create without a password (device-bound sign-in only)')
    .action(
      async (
        username: string,
        options: { email?: string; name?: string; passwordStdin?: boolean; password: boolean },
      ) => {
        const passwordHash = options.password
          ? await hashPassword(await readSecret('Password: ', Boolean(options.passwordStdin)))
          : null;
        await withServices(globals(), async (s) => {
          const user = await s.users.create({ username, email: options.email, name: options.name, passwordHash });
          await s.audit.record({
            event: 'admin.user.add',
            outcome: 'success',
            actor: 'cli',
            userId: user.id,
            username: user.username,
          });
          process.stdout.write(`created user ${user.username} (${user.id})\n`);
        });
      },
    );

  users
    .command('list')
    .description('list users')
    .action(() =>
      withServices(globals(), async (s) => {
        const list = await s.users.list();
        printTable(
          ['USERNAME', 'EMAIL', 'TOTP', 'STATUS', 'CREATED'],
          list.map((u) => [
            u.username,
            u.email,
            u.totpSecretSealed ? 'yes' : 'no',
            u.disabled ? 'disabled' : 'active',
            isoTime(u.createdAt),
          ]),
        );
      }),
    );

  users
    .command('show <username>')
    .description('show one user')
    .action((username: string) =>
      withServices(globals(), async (s) => {
        const u = await s.users.require(username);
        const groups = await s.users.groupNames(u.id);
        const lines = [
          ['id', u.id],
          ['username', u.username],
          ['email', u.email ?? '-'],
          ['name', u.name ?? '-'],
          ['status', u.disabled ? 'disabled' : 'active'],
          ['password', u.passwordHash ? 'set' : 'none'],
          ['totp', u.totpEnrolledAt ? `enrolled ${isoTime(u.totpEnrolledAt)}` : 'none'],
          ['groups', groups.join(', ') || '-'],
          ...Object.entries(await s.users.attributes(u.id)).map(([attribute, value]) => [
            `attribute ${attribute}`,
            value,
          ]),
          ['created', isoTime(u.createdAt)],
        ];
        const width = Math.max(...lines.map(([key]) => key!.length));
        for (const [key, value] of lines) process.stdout.write(`${key!.padEnd(width)} ${value}\n`);
      }),
    );

  users
    .command('set-attribute <username> <name> [value]')
    .description('set what another IdP knows the user by (e.g. entra_oid); without a value, remove it')
    .action((username: string, name: string, value: string | undefined) =>
      withServices(globals(), async (s) => {
        if (!ATTRIBUTE_NAME.test(name)) {
          throw new InvalidInputError(
            'ERR_USAGE_ATTRIBUTE',
            `attribute names start with a letter, then letters, digits, _ - . (at most 64), not "${name}"`,
          );
        }
        if (value !== undefined && (value.length === 0 || value.length > 512 || /[\u0000-\u001f]/.test(value))) {
          throw new InvalidInputError(
            'ERR_USAGE_ATTRIBUTE',
            'an attribute value is 1 to 512 characters, without control characters',
          );
        }
        const user = await s.users.require(username);
        await s.users.setAttribute(user.id, name, value ?? null);
        await s.audit.record({
          event: 'admin.user.attribute',
          outcome: 'success',
          actor: 'cli',
          userId: user.id,
          username: user.username,
          reasons: [value === undefined ? `removed ${name}` : `set ${name}`],
        });
        process.stdout.write(
          value === undefined ? `removed ${name} of ${user.username}\n` : `set ${name} of ${user.username}\n`,
        );
      }),
    );

  for (const [name, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    users
      .command(`${name} <username>`)
      .description(disabled ? 'disable a user and end their sessions' : 'enable a disabled user')
      .action((username: string) =>
        withServices(globals(), async (s) => {
          const u = await s.users.require(username);
          await s.users.setDisabled(u.id, disabled);
          if (disabled) await s.revokeSessions(u.id);
          await s.audit.record({
            event: `admin.user.${name}`,
            outcome: 'success',
            actor: 'cli',
            userId: u.id,
            username: u.username,
          });
          process.stdout.write(`${name}d ${u.username}\n`);
        }),
      );
  }

  users
    .command('set-password <username>')
    .description("set a user's password")
    .option('--password-stdin', 'read the password from standard input')
    .action(async (username: string, options: { passwordStdin?: boolean }) => {
      const hash = await hashPassword(await readSecret('New password: ', Boolean(options.passwordStdin)));
      await withServices(globals(), async (s) => {
        const u = await s.users.require(username);
        await s.users.setPasswordHash(u.id, hash);
        await s.audit.record({
          event: 'admin.user.set-password',
          outcome: 'success',
          actor: 'cli',
          userId: u.id,
          username: u.username,
        });
        process.stdout.write(`password set for ${u.username}\n`);
      });
    });

  users
    .command('totp-enroll <username>')
    .description('give a user a new TOTP secret and show it (otpauth URI and QR code)')
    .option('--no-qr', 'do not draw the QR code')
    .action((username: string, options: { qr: boolean }) =>
      withServices(globals(), async (s) => {
        const { newTotpSecret, TOTP_SECRET_PURPOSE, totpUri } = await import('../credentials/totp.js');
        const u = await s.users.require(username);
        const secret = newTotpSecret();
        await s.users.setTotp(u.id, s.box.seal(secret, TOTP_SECRET_PURPOSE));
        await s.audit.record({
          event: 'admin.user.totp-enroll',
          outcome: 'success',
          actor: 'cli',
          userId: u.id,
          username: u.username,
        });
        const uri = totpUri(secret, u.username, new URL(s.config.issuer).host);
        process.stdout.write(
          `TOTP enrolled for ${u.username}. Add it to an authenticator app (shown once):\n${uri}\nsecret: ${secret}\n`,
        );
        if (options.qr && process.stdout.isTTY) {
          const { default: qrcode } = await import('qrcode-terminal');
          qrcode.generate(uri, { small: true }, (code) => process.stdout.write(code + '\n'));
        }
      }),
    );

  users
    .command('totp-reset <username>')
    .description("remove a user's TOTP secret")
    .action((username: string) =>
      withServices(globals(), async (s) => {
        const u = await s.users.require(username);
        await s.users.setTotp(u.id, null);
        await s.audit.record({
          event: 'admin.user.totp-reset',
          outcome: 'success',
          actor: 'cli',
          userId: u.id,
          username: u.username,
        });
        process.stdout.write(`TOTP removed for ${u.username}\n`);
      }),
    );

  users
    .command('revoke-sessions <username>')
    .description('end every session, grant and refresh token of a user at once')
    .action((username: string) =>
      withServices(globals(), async (s) => {
        const u = await s.users.require(username);
        const count = await s.revokeSessions(u.id);
        await s.audit.record({
          event: 'admin.user.revoke-sessions',
          outcome: 'success',
          actor: 'cli',
          userId: u.id,
          username: u.username,
          detail: { removed: count },
        });
        process.stdout.write(`revoked ${count} session artifact(s) of ${u.username}\n`);
      }),
    );

  const groups = program
    .command('groups')
    .description('manage groups (released in the groups claim, used by policies)');
  groups
    .command('add <name>')
    .option('--description <text>', 'what the group is for')
    .action((name: string, options: { description?: string }) =>
      withServices(globals(), async (s) => {
        await s.groups.create(name, options.description ?? null);
        process.stdout.write(`created group ${name}\n`);
      }),
    );
  groups.command('list').action(() =>
    withServices(globals(), async (s) => {
      printTable(
        ['GROUP', 'MEMBERS', 'DESCRIPTION'],
        (await s.groups.list()).map((g) => [g.name, g.members, g.description]),
      );
    }),
  );
  groups.command('remove <name>').action((name: string) =>
    withServices(globals(), async (s) => {
      await s.groups.remove(name);
      process.stdout.write(`removed group ${name}\n`);
    }),
  );
  groups.command('members <name>').action((name: string) =>
    withServices(globals(), async (s) => {
      for (const member of await s.groups.members((await s.groups.require(name)).id))
        process.stdout.write(member + '\n');
    }),
  );
  for (const [verb, add] of [
    ['add-member', true],
    ['remove-member', false],
  ] as const) {
    groups.command(`${verb} <group> <username>`).action((group: string, username: string) =>
      withServices(globals(), async (s) => {
        const g = await s.groups.require(group);
        const u = await s.users.require(username);
        if (add) await s.groups.addMember(g.id, u.id);
        else await s.groups.removeMember(g.id, u.id);
        process.stdout.write(`${add ? 'added' : 'removed'} ${u.username} ${add ? 'to' : 'from'} ${g.name}\n`);
      }),
    );
  }
}
