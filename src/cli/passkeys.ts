// `latchkey passkeys list|show|revoke`: the passkeys people registered, what each proves (synced,
// device-bound, attestation), and revoking one (kept on record, refused at the next sign-in and session
// check). Every revocation is audited (actor "cli").
import type { Command } from 'commander';
import { NotFoundError } from '../errors.js';
import { KIND_TEXT, passkeyKind, type StoredPasskey } from '../passkeys/credential.js';
import type { Services } from '../server/services.js';
import { isoTime, printTable, withServices, type GlobalOptions } from './common.js';

async function repository(s: Services) {
  const { PasskeyRepository } = await import('../store/passkeys.js');
  return new PasskeyRepository(s.db);
}

function state(passkey: StoredPasskey, now: number): string {
  if (passkey.revokedAt !== null) return 'revoked';
  return passkey.expiresAt <= now ? 'expired' : 'active';
}

export function registerPasskeyCommands(program: Command, globals: () => GlobalOptions): void {
  const passkeys = program.command('passkeys').description('registered passkeys (WebAuthn credentials)');
  passkeys
    .command('list')
    .description('passkeys, newest first')
    .option('--user <username>', "only this user's passkeys")
    .action((options: { user?: string }) =>
      withServices(globals(), async (s) => {
        const user = options.user ? await s.users.require(options.user) : undefined;
        const store = await repository(s);
        const listed = await store.list(user?.id);
        const names = new Map<string, string>();
        for (const id of new Set(listed.map((p) => p.userId)))
          names.set(id, (await s.users.findById(id))?.username ?? id);
        const now = Date.now();
        printTable(
          ['ID', 'USER', 'NAME', 'KIND', 'DEVICE', 'ATTESTATION', 'STATE', 'CREATED', 'LAST USED', 'EXPIRES'],
          listed.map((p) => [
            p.id,
            names.get(p.userId),
            p.name,
            passkeyKind(p),
            p.deviceId,
            `${p.attestationFormat}${p.attestationVerified ? ' (verified)' : ''}`,
            state(p, now),
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
      withServices(globals(), async (s) => {
        const p = await (await repository(s)).find(id);
        if (!p) throw new NotFoundError('ERR_PASSKEY_NOT_FOUND', `no passkey with id ${id}`);
        const owner = await s.users.findById(p.userId);
        const lines: Array<[string, string]> = [
          ['id', p.id],
          ['user', owner?.username ?? p.userId],
          ['name', p.name],
          ['kind', KIND_TEXT[passkeyKind(p)]],
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
          [
            'state',
            p.revokedAt
              ? `revoked ${isoTime(p.revokedAt)} (${p.revokedReason ?? 'unspecified'})`
              : state(p, Date.now()),
          ],
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
      withServices(globals(), async (s) => {
        const store = await repository(s);
        const p = await store.find(id);
        if (!p) throw new NotFoundError('ERR_PASSKEY_NOT_FOUND', `no passkey with id ${id}`);
        const revoked = await store.revoke(id, options.reason, Date.now());
        await s.audit.record({
          event: 'admin.passkey.revoke',
          outcome: revoked ? 'success' : 'failure',
          actor: 'cli',
          userId: p.userId,
          reasons: [revoked ? options.reason : 'already revoked'],
          detail: { passkey: id },
        });
        process.stdout.write(
          revoked ? `revoked passkey ${id} (${options.reason})\n` : `passkey ${id} was already revoked\n`,
        );
      }),
    );
}
