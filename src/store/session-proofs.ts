// The proofs of each signed-in browser session, by session uid (SQL, whatever holds the sessions: the
// device index must be queryable to end a revoked device's sessions, and the rows are small). The proofs
// themselves are the sign-in wing's JSON; this store only keeps them.
import type { Database } from './database.js';

export interface SessionProofRecord<P = unknown> {
  sessionUid: string;
  accountId: string;
  /** The device the session proved, if any (indexed). */
  deviceId: string | null;
  proofs: P[];
  /** Epoch milliseconds. */
  expiresAt: number;
}

export class SessionProofRepository {
  constructor(private readonly db: Database) {}

  /** Records what session `sessionUid` proved (replacing what it proved before), until `expiresAt` (ms). */
  async save(record: SessionProofRecord, now = Date.now()): Promise<void> {
    await this.db('session_proofs')
      .insert({
        session_uid: record.sessionUid,
        account_id: record.accountId,
        device_id: record.deviceId,
        proofs: JSON.stringify(record.proofs),
        updated_at: now,
        expires_at: record.expiresAt,
      })
      .onConflict('session_uid')
      .merge();
  }

  async find(sessionUid: string, now = Date.now()): Promise<SessionProofRecord | undefined> {
    const row = await this.db('session_proofs')
      .where({ session_uid: sessionUid })
      .andWhere('expires_at', '>', now)
      .first();
    if (!row) return undefined;
    return {
      sessionUid: String(row.session_uid),
      accountId: String(row.account_id),
      deviceId: (row.device_id as string | null) ?? null,
      proofs: JSON.parse(String(row.proofs)) as unknown[],
      expiresAt: Number(row.expires_at),
    };
  }

  /** Session uids whose sign-in proved `deviceId`. */
  async sessionsOfDevice(deviceId: string): Promise<string[]> {
    const rows = await this.db('session_proofs')
      .where({ device_id: deviceId })
      .select<{ session_uid: string }[]>('session_uid');
    return rows.map((row) => row.session_uid);
  }

  async remove(sessionUids: readonly string[]): Promise<void> {
    if (sessionUids.length) await this.db('session_proofs').whereIn('session_uid', sessionUids).delete();
  }

  async purgeExpired(now = Date.now()): Promise<void> {
    await this.db('session_proofs').where('expires_at', '<=', now).delete();
  }
}
