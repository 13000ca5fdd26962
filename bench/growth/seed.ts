// Grows Latchkey's data to production size, fast: bulk inserts straight into the tables, in transactions,
// through the store's own knex (not one CLI call per row), while the server runs. Rows copy the shape of
// real ones: every user has the same real argon2id hash (hashing 100,000 passwords would take minutes and
// measures nothing), certificates carry a real certificate's PEM, sessions a real session's payload.
import { randomBytes, randomUUID } from 'node:crypto';
import type { AdapterPayload } from 'oidc-provider';
import type { Services } from '../../src/server/services.js';
import { isSqlite } from '../../src/store/database.js';

// Rows per multi-row INSERT on PostgreSQL (12 columns × 2,000 stays far below its 65,535 parameters).
const CHUNK = 2000;

/** The part of a better-sqlite3 connection the bulk insert uses. */
interface SqliteConnection {
  prepare(sql: string): { run(...values: unknown[]): unknown };
  transaction<T>(work: (rows: T) => void): (rows: T) => void;
}

/**
 * Inserts `rows` in one transaction. On SQLite through the store's own connection with one prepared
 * statement (knex building 100,000-row statements as text costs more than SQLite's writing them); on
 * PostgreSQL in multi-row INSERTs of CHUNK rows.
 */
async function bulkInsert(s: Services, table: string, rows: Array<Record<string, unknown>>): Promise<void> {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]!);
  if (isSqlite(s.db)) {
    const connection = (await s.db.client.acquireConnection()) as SqliteConnection;
    try {
      const insert = connection.prepare(
        `insert into "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) values (${columns.map(() => '?').join(', ')})`,
      );
      // SQLite has no boolean type: knex stores them as 0/1, and so must this.
      const value = (v: unknown) => (typeof v === 'boolean' ? Number(v) : (v ?? null));
      connection.transaction((all: Array<Record<string, unknown>>) => {
        for (const row of all) insert.run(...columns.map((c) => value(row[c])));
      })(rows);
    } finally {
      await s.db.client.releaseConnection(connection);
    }
    return;
  }
  await s.db.transaction(async (trx) => {
    for (let i = 0; i < rows.length; i += CHUNK) await trx(table).insert(rows.slice(i, i + CHUNK));
  });
}

/** `count` users (ids returned), each with the password hash of `template`'s user. */
export async function seedUsers(s: Services, count: number, templateUsername: string): Promise<string[]> {
  const template = (await s.db('users').where({ username: templateUsername }).first()) as Record<string, unknown>;
  const now = Date.now();
  const ids: string[] = [];
  const rows = Array.from({ length: count }, (_, i) => {
    const id = randomUUID();
    ids.push(id);
    return {
      ...template,
      id,
      username: `grown-${i}`,
      email: `grown-${i}@example.com`,
      name: `Grown User ${i}`,
      created_at: now,
      updated_at: now,
    };
  });
  await bulkInsert(s, 'users', rows);
  return ids;
}

/**
 * One device and one certificate per user in `userIds`, issued by the intermediate that issues now, with
 * every `revokedEvery`-th certificate revoked (so the CRL lists count / revokedEvery entries).
 */
export async function seedDeviceCertificates(s: Services, userIds: readonly string[], revokedEvery: number) {
  const certificate = (await s.db('device_certificates').orderBy('issued_at', 'desc').first()) as Record<
    string,
    unknown
  >;
  const device = (await s.db('devices').where({ id: certificate.device_id }).first()) as Record<string, unknown>;
  const now = Date.now();
  const devices: Array<Record<string, unknown>> = [];
  const certificates: Array<Record<string, unknown>> = [];
  userIds.forEach((userId, i) => {
    const deviceId = randomUUID();
    devices.push({ ...device, id: deviceId, user_id: userId, hostname: `grown-${i}`, enrolled_at: now });
    const revoked = i % revokedEvery === 0;
    certificates.push({
      ...certificate,
      serial: randomBytes(16).toString('hex'),
      device_id: deviceId,
      user_id: userId,
      spki_sha256: randomBytes(32).toString('hex'),
      renewed_from: null,
      issued_at: now,
      revoked_at: revoked ? now - (userIds.length - i) : null,
      revocation_reason: revoked ? 'keyCompromise' : null,
    });
  });
  await bulkInsert(s, 'devices', devices);
  await bulkInsert(s, 'device_certificates', certificates);
}

/** A real session's payload and proofs row, to copy. */
export async function sessionTemplate(
  s: Services,
): Promise<{ payload: AdapterPayload; proofs: Record<string, unknown> }> {
  const proofs = (await s.db('session_proofs').orderBy('updated_at', 'desc').first()) as Record<string, unknown>;
  if (!proofs) throw new Error('bench: no session to copy (run a sign-in first)');
  const payload = await s.oidcStore.adapterFor('Session').findByUid(String(proofs.session_uid));
  if (!payload) throw new Error('bench: the newest session is gone');
  return { payload, proofs };
}

/**
 * `userIds.length` live sessions, one per user, stored through Latchkey's own adapter (SQL rows in bulk;
 * Redis through the adapter itself, so keys, pointers and indexes are exactly what a sign-in leaves),
 * each with its proofs row.
 */
export async function seedSessions(s: Services, userIds: readonly string[], redis: boolean): Promise<void> {
  const { payload, proofs } = await sessionTemplate(s);
  const ttl = s.config.tokens.session_ttl_seconds;
  const now = Date.now();
  const sessions = userIds.map((accountId) => ({
    ...payload,
    jti: randomBytes(32).toString('base64url'),
    uid: randomBytes(16).toString('base64url'),
    accountId,
  }));
  if (redis) {
    const adapter = s.oidcStore.adapterFor('Session');
    for (let i = 0; i < sessions.length; i += CHUNK) {
      await Promise.all(sessions.slice(i, i + CHUNK).map((p) => adapter.upsert(String(p.jti), p, ttl)));
    }
  } else {
    await bulkInsert(
      s,
      'oidc_payloads',
      sessions.map((p) => ({
        model: 'Session',
        id: p.jti,
        payload: JSON.stringify(p),
        grant_id: null,
        user_code: null,
        uid: p.uid,
        account_id: p.accountId,
        expires_at: now + ttl * 1000,
        consumed_at: null,
      })),
    );
  }
  await bulkInsert(
    s,
    'session_proofs',
    sessions.map((p) => ({ ...proofs, session_uid: p.uid, account_id: p.accountId, updated_at: now })),
  );
}
