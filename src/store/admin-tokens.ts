// Admin API tokens in SQL: created by the CLI, shown once, stored as SHA-256 (they are 256 random bits, so
// a fast hash is enough), each with scopes, an optional expiry and a revocation time. Automation (an MDM
// fetching SCEP challenges) sends one as `Authorization: Bearer`.
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Database } from './database.js';

export interface AdminTokenRecord {
  id: string;
  name: string;
  scopes: string[];
  createdAt: number;
  createdBy: string | null;
  expiresAt: number | null;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

/** Tokens are recognisable in logs and secret scanners by their prefix. */
const PREFIX = 'lkat_';
const hash = (token: string): string => createHash('sha256').update(token).digest('hex');
const num = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

export class AdminTokenRepository {
  constructor(private readonly db: Database) {}

  /** Creates a token; returns it (shown once) and its record. */
  async create(
    input: { name: string; scopes: readonly string[]; ttlMs: number | null; createdBy: string | null },
    now: number,
  ): Promise<{ token: string; record: AdminTokenRecord }> {
    const token = `${PREFIX}${randomBytes(32).toString('base64url')}`;
    const record: AdminTokenRecord = {
      id: randomUUID(),
      name: input.name,
      scopes: [...input.scopes],
      createdAt: now,
      createdBy: input.createdBy,
      expiresAt: input.ttlMs === null ? null : now + input.ttlMs,
      lastUsedAt: null,
      revokedAt: null,
    };
    await this.db('admin_api_tokens').insert({
      id: record.id,
      name: record.name,
      token_hash: hash(token),
      scopes: JSON.stringify(record.scopes),
      created_at: record.createdAt,
      created_by: record.createdBy,
      expires_at: record.expiresAt,
    });
    return { token, record };
  }

  /** The record of a token that is usable at `now` (not revoked, not expired), noting its use; else undefined. */
  async authenticate(token: string, now: number): Promise<AdminTokenRecord | undefined> {
    if (!token.startsWith(PREFIX) || token.length > 128) return undefined;
    const digest = hash(token);
    const row = await this.db('admin_api_tokens').where({ token_hash: digest }).first();
    // The lookup is by hash; comparing again in constant time costs nothing and keeps the habit.
    if (!row || !timingSafeEqual(Buffer.from(String(row.token_hash)), Buffer.from(digest))) return undefined;
    const record = toRecord(row);
    if (record.revokedAt !== null || (record.expiresAt !== null && record.expiresAt <= now)) return undefined;
    await this.db('admin_api_tokens').where({ id: record.id }).update({ last_used_at: now });
    return { ...record, lastUsedAt: now };
  }

  async list(): Promise<AdminTokenRecord[]> {
    return (await this.db('admin_api_tokens').orderBy('created_at', 'desc')).map(toRecord);
  }

  /** Revokes a token; false when no unrevoked token has this id. */
  async revoke(id: string, now: number): Promise<boolean> {
    return (await this.db('admin_api_tokens').where({ id }).whereNull('revoked_at').update({ revoked_at: now })) === 1;
  }
}

function toRecord(row: Record<string, unknown>): AdminTokenRecord {
  return {
    id: String(row.id),
    name: String(row.name),
    scopes: JSON.parse(String(row.scopes)) as string[],
    createdAt: Number(row.created_at),
    createdBy: (row.created_by as string | null) ?? null,
    expiresAt: num(row.expires_at),
    lastUsedAt: num(row.last_used_at),
    revokedAt: num(row.revoked_at),
  };
}
