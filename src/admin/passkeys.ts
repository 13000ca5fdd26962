// Passkey administration: what each registered passkey proves, and revoking one (kept on record, refused
// at the next sign-in and session check). Every revocation is audited with the caller as actor.
import { NotFoundError } from '../errors.js';
import { passkeyKind, type StoredPasskey } from '../passkeys/credential.js';
import type { PasskeyRepository } from '../store/passkeys.js';
import type { UserRepository } from '../store/users.js';
import { recordChange, type AdminOrigin, type AuditPort } from './context.js';

export interface PasskeyAdminDeps {
  passkeys: Pick<PasskeyRepository, 'list' | 'find' | 'revoke'>;
  users: Pick<UserRepository, 'require' | 'findById'>;
  audit: AuditPort;
  now: () => number;
}

/** A passkey with its owner's username, what kind of proof it is and its state now. */
export interface PasskeyView extends StoredPasskey {
  username: string;
  kind: ReturnType<typeof passkeyKind>;
  state: 'active' | 'expired' | 'revoked';
}

export class PasskeyAdmin {
  constructor(private readonly deps: PasskeyAdminDeps) {}

  /** Passkeys newest first, all or one user's. */
  async list(filter: { username?: string } = {}): Promise<PasskeyView[]> {
    const user = filter.username ? await this.deps.users.require(filter.username) : undefined;
    const listed = await this.deps.passkeys.list(user?.id);
    const names = new Map<string, string>();
    for (const id of new Set(listed.map((p) => p.userId)))
      names.set(id, (await this.deps.users.findById(id))?.username ?? id);
    return listed.map((p) => this.view(p, names.get(p.userId) ?? p.userId));
  }

  async show(id: string): Promise<PasskeyView> {
    const passkey = await this.require(id);
    return this.view(passkey, (await this.deps.users.findById(passkey.userId))?.username ?? passkey.userId);
  }

  /** Revokes a passkey; `revoked` is false when it already was (audited as a failure). */
  async revoke(id: string, reason: string, origin: AdminOrigin): Promise<{ passkey: PasskeyView; revoked: boolean }> {
    const passkey = await this.require(id);
    const revoked = await this.deps.passkeys.revoke(id, reason, this.deps.now());
    await recordChange(
      this.deps.audit,
      origin,
      'admin.passkey.revoke',
      { userId: passkey.userId, reasons: [revoked ? reason : 'already revoked'], detail: { passkey: id } },
      revoked ? 'success' : 'failure',
    );
    return { passkey: await this.show(id), revoked };
  }

  private async require(id: string): Promise<StoredPasskey> {
    const passkey = await this.deps.passkeys.find(id);
    if (!passkey) throw new NotFoundError('ERR_PASSKEY_NOT_FOUND', `no passkey with id ${id}`);
    return passkey;
  }

  private view(passkey: StoredPasskey, username: string): PasskeyView {
    const now = this.deps.now();
    const state = passkey.revokedAt !== null ? 'revoked' : passkey.expiresAt <= now ? 'expired' : 'active';
    return { ...passkey, username, kind: passkeyKind(passkey), state };
  }
}
