// Registered passkeys in SQL. Credential ids are unique across all users (a second registration of the
// same credential fails as a conflict, whoever races); the signature counter moves forward only by a
// compare-and-set, so two parallel sign-ins cannot both advance it from the same value.
import { randomUUID } from 'node:crypto';
import { ConflictError } from '../errors.js';
import type { NewCredential } from '../passkeys/ceremonies.js';
import type { Attachment, StoredPasskey } from '../passkeys/credential.js';
import type { Database } from './database.js';

interface PasskeyRow {
  id: string;
  credential_id: string;
  user_id: string;
  device_id: string | null;
  name: string;
  public_key: string;
  counter: number | string;
  transports: string;
  attachment: string | null;
  aaguid: string;
  backup_eligible: boolean | number;
  backed_up: boolean | number;
  attestation_format: string;
  attestation_verified: boolean | number;
  created_at: number | string;
  expires_at: number | string;
  last_used_at: number | string | null;
  counter_flagged_at: number | string | null;
  revoked_at: number | string | null;
  revoked_reason: string | null;
}

const optionalNumber = (value: number | string | null) => (value === null ? null : Number(value));

function toPasskey(row: PasskeyRow): StoredPasskey {
  return {
    id: row.id,
    credentialId: row.credential_id,
    userId: row.user_id,
    deviceId: row.device_id,
    name: row.name,
    publicKey: row.public_key,
    counter: Number(row.counter),
    transports: JSON.parse(row.transports) as string[],
    attachment: row.attachment as Attachment | null,
    aaguid: row.aaguid,
    backupEligible: Boolean(row.backup_eligible),
    backedUp: Boolean(row.backed_up),
    attestationFormat: row.attestation_format,
    attestationVerified: Boolean(row.attestation_verified),
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    lastUsedAt: optionalNumber(row.last_used_at),
    counterFlaggedAt: optionalNumber(row.counter_flagged_at),
    revokedAt: optionalNumber(row.revoked_at),
    revokedReason: row.revoked_reason,
  };
}

export class PasskeyRepository {
  readonly #reading = new Map<string, Promise<StoredPasskey[]>>();

  constructor(private readonly db: Database) {}

  /** Stores a verified credential; ERR_PASSKEY_EXCLUDED when that credential is already registered. */
  async add(input: {
    userId: string;
    deviceId: string | null;
    name: string;
    credential: NewCredential;
    createdAt: number;
    expiresAt: number;
  }): Promise<StoredPasskey> {
    const { credential } = input;
    const id = randomUUID();
    try {
      await this.db('passkeys').insert({
        id,
        credential_id: credential.credentialId,
        user_id: input.userId,
        device_id: input.deviceId,
        name: input.name,
        public_key: credential.publicKey,
        counter: credential.counter,
        transports: JSON.stringify(credential.transports),
        attachment: credential.attachment,
        aaguid: credential.aaguid,
        backup_eligible: credential.backupEligible,
        backed_up: credential.backedUp,
        attestation_format: credential.attestationFormat,
        attestation_verified: credential.attestationVerified,
        created_at: input.createdAt,
        expires_at: input.expiresAt,
      });
    } catch (error) {
      if (await this.findByCredentialId(credential.credentialId)) {
        throw new ConflictError('ERR_PASSKEY_EXCLUDED', 'this passkey is already registered', { cause: String(error) });
      }
      throw error;
    }
    return (await this.find(id))!;
  }

  async find(id: string): Promise<StoredPasskey | undefined> {
    const row = await this.db<PasskeyRow>('passkeys').where({ id }).first();
    return row ? toPasskey(row) : undefined;
  }

  async findByCredentialId(credentialId: string): Promise<StoredPasskey | undefined> {
    const row = await this.db<PasskeyRow>('passkeys').where({ credential_id: credentialId }).first();
    return row ? toPasskey(row) : undefined;
  }

  /** A user's passkeys (revoked ones included), newest first; every user's when `userId` is omitted. */
  async list(userId?: string): Promise<StoredPasskey[]> {
    const query = this.db<PasskeyRow>('passkeys').orderBy([
      { column: 'created_at', order: 'desc' },
      { column: 'id', order: 'asc' },
    ]);
    if (userId) void query.where({ user_id: userId });
    return (await query).map(toPasskey);
  }

  /** True when `userId` has a passkey usable at `now` (ms) that `accept` accepts. */
  async hasUsable(
    userId: string,
    now: number,
    accept: (passkey: StoredPasskey) => boolean = () => true,
  ): Promise<boolean> {
    const passkeys = await this.unrevoked(userId, now);
    return passkeys.some((passkey) => passkey.expiresAt > now && accept(passkey));
  }

  /**
   * The user's unrevoked, unexpired passkeys, one read for the lookups in flight at the same moment: a
   * sign-in asks for both passkey methods (any and device-bound) at once. Nothing is kept after the read.
   */
  private unrevoked(userId: string, now: number): Promise<StoredPasskey[]> {
    let read = this.#reading.get(userId);
    if (!read) {
      read = Promise.resolve(
        this.db<PasskeyRow>('passkeys')
          .where({ user_id: userId })
          .whereNull('revoked_at')
          .andWhere('expires_at', '>', now),
      )
        .then((rows) => rows.map(toPasskey))
        .finally(() => this.#reading.delete(userId));
      this.#reading.set(userId, read);
    }
    return read;
  }

  /**
   * Records a sign-in: moves the counter from `from` to `to` (only if it is still `from`), the backup
   * state and the time; false when another sign-in moved it first.
   */
  async recordUse(
    id: string,
    update: { from: number; to: number; backedUp: boolean; at: number; flagged: boolean },
  ): Promise<boolean> {
    const changed = await this.db('passkeys')
      .where({ id, counter: update.from })
      .update({
        counter: Math.max(update.from, update.to),
        backed_up: update.backedUp,
        last_used_at: update.at,
        ...(update.flagged ? { counter_flagged_at: update.at } : {}),
      });
    return changed === 1;
  }

  async rename(id: string, userId: string, name: string): Promise<boolean> {
    return (await this.db('passkeys').where({ id, user_id: userId }).update({ name })) === 1;
  }

  /** Deletes a passkey of `userId` (the owner deleting it on the account page). */
  async remove(id: string, userId: string): Promise<boolean> {
    return (await this.db('passkeys').where({ id, user_id: userId }).delete()) === 1;
  }

  /** Marks a passkey revoked (an admin's action, kept for the record). */
  async revoke(id: string, reason: string, at: number): Promise<boolean> {
    return (
      (await this.db('passkeys')
        .where({ id })
        .whereNull('revoked_at')
        .update({ revoked_at: at, revoked_reason: reason })) === 1
    );
  }

  /** Labels ("linux · laptop-7") of the devices `deviceIds` name, for lists. */
  async deviceLabels(deviceIds: readonly string[]): Promise<Map<string, string>> {
    const ids = [...new Set(deviceIds)];
    if (ids.length === 0) return new Map();
    const rows = await this.db('devices')
      .whereIn('id', ids)
      .select<{ id: string; platform: string; hostname: string | null; status: string }[]>(
        'id',
        'platform',
        'hostname',
        'status',
      );
    return new Map(
      rows.map((row) => [
        row.id,
        `${row.platform}${row.hostname ? ` · ${row.hostname}` : ''}${row.status === 'active' ? '' : ' (removed)'}`,
      ]),
    );
  }

  /** True when some passkey that may be device-bound (not synced, registered on a device) is usable at `now`. */
  async anyDeviceBound(now: number): Promise<boolean> {
    const row = await this.db('passkeys')
      .where({ backup_eligible: false })
      .whereNotNull('device_id')
      .whereNull('revoked_at')
      .andWhere('expires_at', '>', now)
      .first('id');
    return row !== undefined;
  }

  async count(): Promise<number> {
    const row = (await this.db('passkeys').count({ n: '*' }).first()) as { n: number | string };
    return Number(row.n);
  }
}
