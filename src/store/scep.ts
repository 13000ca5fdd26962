// SCEP records in SQL: the RA certificate per intermediate (key sealed), static challenges per profile and
// one-time challenges (SHA-256 hashes only: both are high-entropy random values Latchkey generated), and
// the sender nonces of issued transactions. Writes that race (first RA, consuming a challenge, a nonce)
// are conditional, so of concurrent requests exactly one wins on every backend.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { Database } from './database.js';

type Db = Database | Knex.Transaction;

export interface RaRecord {
  /** The intermediate that issued it (ca_certificates.id). */
  issuerId: string;
  certificatePem: string;
  privateKeySealed: string;
  fingerprintSha256: string;
  notBefore: number;
  notAfter: number;
  createdAt: number;
}

export interface ScepChallengeRecord {
  id: string;
  userId: string;
  profile: string;
  createdAt: number;
  expiresAt: number;
  usedAt: number | null;
}

export interface ScepTransactionRecord {
  senderNonceSha256: string;
  transactionId: string;
  profile: string;
  messageType: string;
  serial: string;
  deviceId: string;
  createdAt: number;
}

const num = (value: unknown): number => Number(value);
const sha256 = (value: string | Uint8Array): string => createHash('sha256').update(value).digest('hex');

/** SHA-256 hex of a challenge: only this is stored. */
export const hashChallenge = (challenge: string): string => sha256(challenge);

/** A new challenge: printable in any ASN.1 string type a device may encode it in (no "_" or "+"). */
function newChallenge(prefix: string): string {
  return `${prefix}-${randomBytes(24).toString('hex')}`;
}

export class ScepStore {
  constructor(readonly db: Database) {}

  transaction<T>(work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  // ---- RA ------------------------------------------------------------------------------------------

  async ra(issuerId: string, db: Db = this.db): Promise<RaRecord | undefined> {
    const row = await db('scep_ra_certificates').where({ issuer_id: issuerId }).first();
    return row ? toRa(row) : undefined;
  }

  /** Stores the first RA of an intermediate; false when another node stored one first (keep theirs). */
  async insertRa(record: RaRecord): Promise<boolean> {
    await this.db('scep_ra_certificates').insert(fromRa(record)).onConflict('issuer_id').ignore();
    return (await this.ra(record.issuerId))?.fingerprintSha256 === record.fingerprintSha256;
  }

  /** Replaces the RA whose fingerprint is `previous`; false when another writer replaced it first. */
  async replaceRa(previous: string, record: RaRecord): Promise<boolean> {
    const updated = await this.db('scep_ra_certificates')
      .where({ issuer_id: record.issuerId, fingerprint_sha256: previous })
      .update(fromRa(record));
    return updated === 1;
  }

  // ---- static challenges ---------------------------------------------------------------------------

  /** A new static challenge for `profile`, replacing the previous one; returned once, stored hashed. */
  async rotateStaticChallenge(profile: string, createdBy: string | null, now: number): Promise<string> {
    const challenge = newChallenge('lks');
    await this.db('scep_static_challenges')
      .insert({ profile, challenge_hash: hashChallenge(challenge), created_at: now, created_by: createdBy })
      .onConflict('profile')
      .merge();
    return challenge;
  }

  async staticChallenge(profile: string): Promise<{ hash: string; createdAt: number } | undefined> {
    const row = await this.db('scep_static_challenges').where({ profile }).first();
    return row ? { hash: String(row.challenge_hash), createdAt: num(row.created_at) } : undefined;
  }

  /** Removes the static challenge of `profile`; false when it had none. */
  async clearStaticChallenge(profile: string): Promise<boolean> {
    return (await this.db('scep_static_challenges').where({ profile }).delete()) === 1;
  }

  // ---- one-time challenges -------------------------------------------------------------------------

  /** A one-time challenge for a user and profile; returns the challenge (shown once) and its record. */
  async createChallenge(
    input: { userId: string; profile: string; ttlMs: number; createdBy: string | null },
    now: number,
  ): Promise<{ challenge: string; record: ScepChallengeRecord }> {
    const challenge = newChallenge('lkd');
    const record: ScepChallengeRecord = {
      id: randomUUID(),
      userId: input.userId,
      profile: input.profile,
      createdAt: now,
      expiresAt: now + input.ttlMs,
      usedAt: null,
    };
    await this.db('scep_challenges').insert({
      id: record.id,
      challenge_hash: hashChallenge(challenge),
      user_id: record.userId,
      profile: record.profile,
      created_at: record.createdAt,
      expires_at: record.expiresAt,
      created_by: input.createdBy,
    });
    return { challenge, record };
  }

  /** The one-time challenge `challenge` names, used or not (no change). */
  async findChallenge(challenge: string): Promise<ScepChallengeRecord | undefined> {
    const row = await this.db('scep_challenges')
      .where({ challenge_hash: hashChallenge(challenge) })
      .first();
    return row
      ? {
          id: String(row.id),
          userId: String(row.user_id),
          profile: String(row.profile),
          createdAt: num(row.created_at),
          expiresAt: num(row.expires_at),
          usedAt: row.used_at === null || row.used_at === undefined ? null : num(row.used_at),
        }
      : undefined;
  }

  /** Marks the challenge used for `deviceId`; false when another request used it first (exactly one wins). */
  async consumeChallenge(id: string, deviceId: string, now: number, db: Db): Promise<boolean> {
    const updated = await db('scep_challenges')
      .where({ id })
      .whereNull('used_at')
      .andWhere('expires_at', '>', now)
      .update({ used_at: now, device_id: deviceId });
    return updated === 1;
  }

  /** Deletes one-time challenges that expired before `before`; returns how many. */
  async purgeChallenges(before: number): Promise<number> {
    return this.db('scep_challenges').where('expires_at', '<', before).delete();
  }

  // ---- transactions ----------------------------------------------------------------------------------

  /**
   * Records an issued transaction under its sender nonce; false when that nonce was already recorded (a
   * replayed request). Inside the issuing transaction, so a refused request records nothing.
   */
  async claimNonce(
    record: Omit<ScepTransactionRecord, 'senderNonceSha256'> & { senderNonce: Uint8Array },
    db: Db,
  ): Promise<boolean> {
    const nonceHash = sha256(record.senderNonce);
    await db('scep_transactions')
      .insert({
        sender_nonce_sha256: nonceHash,
        transaction_id: record.transactionId,
        profile: record.profile,
        message_type: record.messageType,
        serial: record.serial,
        device_id: record.deviceId,
        created_at: record.createdAt,
      })
      .onConflict('sender_nonce_sha256')
      .ignore();
    // On PostgreSQL a concurrent insert of the same nonce waits for the first to commit, then does nothing:
    // whoever's serial is on the row won.
    const row = await db('scep_transactions').where({ sender_nonce_sha256: nonceHash }).first();
    return row?.serial === record.serial;
  }
}

function toRa(row: Record<string, unknown>): RaRecord {
  return {
    issuerId: String(row.issuer_id),
    certificatePem: String(row.certificate_pem),
    privateKeySealed: String(row.private_key_sealed),
    fingerprintSha256: String(row.fingerprint_sha256),
    notBefore: num(row.not_before),
    notAfter: num(row.not_after),
    createdAt: num(row.created_at),
  };
}

function fromRa(record: RaRecord): Record<string, unknown> {
  return {
    issuer_id: record.issuerId,
    certificate_pem: record.certificatePem,
    private_key_sealed: record.privateKeySealed,
    fingerprint_sha256: record.fingerprintSha256,
    not_before: record.notBefore,
    not_after: record.notAfter,
    created_at: record.createdAt,
  };
}
