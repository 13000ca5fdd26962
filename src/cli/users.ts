// `latchkey users ...` and `latchkey groups ...`: people, their credentials and their groups
// (admin/users.ts and admin/groups.ts do the work and write the audit record).
import type { Command } from 'commander';
import { CLI, withAdmin } from './admin-services.js';
import { isoTime, printTable, readSecret, type GlobalOptions } from './common.js';

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
        const password = options.password ? await readSecret('Password: ', Boolean(options.passwordStdin)) : null;
        await withAdmin(globals(), async (admin) => {
          const user = await admin.users.create({ username, email: options.email, name: options.name, password }, CLI);
          process.stdout.write(`created user ${user.username} (${user.id})\n`);
        });
      },
    );

  users
    .command('list')
    .description('list users')
    .action(() =>
      withAdmin(globals(), async (admin) => {
        printTable(
          ['USERNAME', 'EMAIL', 'TOTP', 'STATUS', 'CREATED'],
          (await admin.users.list()).map((u) => [
            u.username,
            u.email,
            u.totp ? 'yes' : 'no',
            u.status,
            isoTime(u.createdAt),
          ]),
        );
      }),
    );

  users
    .command('show <username>')
    .description('show one user')
    .action((username: string) =>
      withAdmin(globals(), async (admin) => {
        const u = await admin.users.show(username);
        const lines = [
          ['id', u.id],
          ['username', u.username],
          ['email', u.email ?? '-'],
          ['name', u.name ?? '-'],
          ['status', u.status],
          ['password', u.hasPassword ? 'set' : 'none'],
          ['totp', u.totpEnrolledAt ? `enrolled ${isoTime(u.totpEnrolledAt)}` : 'none'],
          ['groups', u.groups.join(', ') || '-'],
          ...Object.entries(u.attributes).map(([attribute, value]) => [`attribute ${attribute}`, value]),
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
      withAdmin(globals(), async (admin) => {
        const user = await admin.users.setAttribute(username, name, value ?? null, CLI);
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
        withAdmin(globals(), async (admin) => {
          const u = await admin.users.setDisabled(username, disabled, CLI);
          process.stdout.write(`${name}d ${u.username}\n`);
        }),
      );
  }

  users
    .command('set-password <username>')
    .description("set a user's password")
    .option('--password-stdin', 'read the password from standard input')
    .action(async (username: string, options: { passwordStdin?: boolean }) => {
      const password = await readSecret('New password: ', Boolean(options.passwordStdin));
      await withAdmin(globals(), async (admin) => {
        const u = await admin.users.setPassword(username, password, CLI);
        process.stdout.write(`password set for ${u.username}\n`);
      });
    });

  users
    .command('totp-enroll <username>')
    .description('give a user a new TOTP secret and show it (otpauth URI and QR code)')
    .option('--no-qr', 'do not draw the QR code')
    .action((username: string, options: { qr: boolean }) =>
      withAdmin(globals(), async (admin) => {
        const { user, secret, uri } = await admin.users.enrollTotp(username, CLI);
        process.stdout.write(
          `TOTP enrolled for ${user.username}. Add it to an authenticator app (shown once):\n${uri}\nsecret: ${secret}\n`,
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
      withAdmin(globals(), async (admin) => {
        const u = await admin.users.resetTotp(username, CLI);
        process.stdout.write(`TOTP removed for ${u.username}\n`);
      }),
    );

  users
    .command('revoke-sessions <username>')
    .description('end every session, grant and refresh token of a user at once')
    .action((username: string) =>
      withAdmin(globals(), async (admin) => {
        const { user, removed } = await admin.users.revokeSessions(username, CLI);
        process.stdout.write(`revoked ${removed} session artifact(s) of ${user.username}\n`);
      }),
    );

  const groups = program
    .command('groups')
    .description('manage groups (released in the groups claim, used by policies)');
  groups
    .command('add <name>')
    .option('--description <text>', 'what the group is for')
    .action((name: string, options: { description?: string }) =>
      withAdmin(globals(), async (admin) => {
        await admin.groups.create(name, options.description ?? null, CLI);
        process.stdout.write(`created group ${name}\n`);
      }),
    );
  groups.command('list').action(() =>
    withAdmin(globals(), async (admin) => {
      printTable(
        ['GROUP', 'MEMBERS', 'DESCRIPTION'],
        (await admin.groups.list()).map((g) => [g.name, g.members, g.description]),
      );
    }),
  );
  groups.command('remove <name>').action((name: string) =>
    withAdmin(globals(), async (admin) => {
      await admin.groups.remove(name, CLI);
      process.stdout.write(`removed group ${name}\n`);
    }),
  );
  groups.command('members <name>').action((name: string) =>
    withAdmin(globals(), async (admin) => {
      for (const member of (await admin.groups.show(name)).members) process.stdout.write(member + '\n');
    }),
  );
  for (const [verb, add] of [
    ['add-member', true],
    ['remove-member', false],
  ] as const) {
    groups.command(`${verb} <group> <username>`).action((group: string, username: string) =>
      withAdmin(globals(), async (admin) => {
        const changed = await admin.groups.setMember(group, username, add, CLI);
        process.stdout.write(
          `${add ? 'added' : 'removed'} ${changed.username} ${add ? 'to' : 'from'} ${changed.group.name}\n`,
        );
      }),
    );
  }
}
