// `latchkey passkeys list|show|revoke`: the passkeys people registered, what each proves (synced,
// device-bound, attestation), and revoking one (admin/passkeys.ts: kept on record, refused at the next
// sign-in and session check, audited).
import type { Command } from 'commander';
import { KIND_TEXT } from '../passkeys/credential.js';
import { CLI, withAdmin } from './admin-services.js';
import { isoTime, printTable, type GlobalOptions } from './common.js';

export function registerPasskeyCommands(program: Command, globals: () => GlobalOptions): void {
  const passkeys = program.command('passkeys').description('registered passkeys (WebAuthn credentials)');
  passkeys
    .command('list')
    .description('passkeys, newest first')
    .option('--user <username>', "only this user's passkeys")
    .action((options: { user?: string }) =>
      withAdmin(globals(), async (admin) => {
        printTable(
          ['ID', 'USER', 'NAME', 'KIND', 'DEVICE', 'ATTESTATION', 'STATE', 'CREATED', 'LAST USED', 'EXPIRES'],
          (await admin.passkeys.list({ username: options.user })).map((p) => [
            p.id,
            p.username,
            p.name,
            p.kind,
            p.deviceId,
            `${p.attestationFormat}${p.attestationVerified ? ' (verified)' : ''}`,
            p.state,
            isoTime(p.createdAt),
            isoTime(p.lastUsedAt),
            isoTime(p.expiresAt),
          ]),
        );
      }),
    );
  passkeys
    .command('show <id>')
    .description('one passkey: what the authenticator said about itself and what it proves')
    .action((id: string) =>
      withAdmin(globals(), async (admin) => {
        const p = await admin.passkeys.show(id);
        const lines: Array<[string, string]> = [
          ['id', p.id],
          ['user', p.username],
          ['name', p.name],
          ['kind', KIND_TEXT[p.kind]],
          ['device', p.deviceId ?? '-'],
          ['credential', p.credentialId],
          ['aaguid', p.aaguid],
          ['backup', `eligible ${p.backupEligible ? 'yes' : 'no'}, backed up ${p.backedUp ? 'yes' : 'no'}`],
          ['transports', p.transports.join(', ') || '-'],
          [
            'attestation',
            `${p.attestationFormat}, chain ${p.attestationVerified ? 'verified (amr hwk)' : 'not verified (amr swk)'}`,
          ],
          [
            'counter',
            `${p.counter}${p.counterFlaggedAt ? ` (regression flagged ${isoTime(p.counterFlaggedAt)})` : ''}`,
          ],
          ['state', p.revokedAt ? `revoked ${isoTime(p.revokedAt)} (${p.revokedReason ?? 'unspecified'})` : p.state],
          ['created', isoTime(p.createdAt)],
          ['last used', isoTime(p.lastUsedAt)],
          ['expires', isoTime(p.expiresAt)],
        ];
        for (const [key, value] of lines) process.stdout.write(`${key.padEnd(11)} ${value}\n`);
      }),
    );
  passkeys
    .command('revoke <id>')
    .description('revoke a passkey: refused at the next sign-in, and sessions it proved stop working')
    .option('--reason <text>', 'why (kept on record, shown in `show`)', 'revoked by an administrator')
    .action((id: string, options: { reason: string }) =>
      withAdmin(globals(), async (admin) => {
        const { revoked } = await admin.passkeys.revoke(id, options.reason, CLI);
        process.stdout.write(
          revoked ? `revoked passkey ${id} (${options.reason})\n` : `passkey ${id} was already revoked\n`,
        );
      }),
    );
}
