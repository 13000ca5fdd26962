// Device-trust records in SQL: CA certificates (keys sealed), devices, issued certificates and
// enrollment tokens (hashes only). Methods take an optional transaction so enrollment and renewal can
// consume, create and issue in one unit.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { Database } from './database.js';
import { decodeCursor, pageOf, pageSize, type Page, type PageRequest } from './pages.js';
import { RevisionCache, revisionOf, type RevisionCacheOptions } from './revision-cache.js';

type Db = Database | Knex.Transaction;

export type CaRole = 'root' | 'intermediate';

/** How a device got its first certificate: the Latchkey agent, or an MDM over SCEP. */
export type DeviceSource = 'agent' | 'scep';

export interface CaRecord {
  id: string;
  role: CaRole;
  subject: string;
  certificatePem: string;
  privateKeySealed: string | null;
  fingerprintSha256: string;
  notBefore: number;
  notAfter: number;
  /** active: issues; previous: an intermediate replaced by rotation, still trusted while its leaves live. */
  status: 'active' | 'previous' | 'retired';
}

export interface DeviceRecord {
  id: string;
  userId: string;
  platform: string;
  osVersion: string | null;
  hostname: string | null;
  managed: boolean;
  integrity: 'passed' | 'failed' | 'unknown';
  status: 'active' | 'revoked';
  source: DeviceSource;
  enrolledAt: number;
  lastSeenAt: number | null;
  revokedAt: number | null;
  revokedReason: string | null;
}

/**
 * How much an enrolled device is trusted, as the console's inventory and the admin API show it: revoked,
 * trusted (managed with integrity passed) or managed (enrolled, not yet proven). Not the policies' device
 * trust of a sign-in (policies/device-trust.ts), which also knows unmanaged.
 */
export const INVENTORY_TRUST_LEVELS = ['trusted', 'managed', 'revoked'] as const;
export type InventoryTrustLevel = (typeof INVENTORY_TRUST_LEVELS)[number];

/** Whether an active device counts as trusted: managed, with integrity passed (listDevicesPage: the same in SQL). */
export function isTrustedDevice(device: Pick<DeviceRecord, 'managed' | 'integrity'>): boolean {
  return device.managed && device.integrity === 'passed';
}

export function inventoryTrustLevel(
  device: Pick<DeviceRecord, 'status' | 'managed' | 'integrity'>,
): InventoryTrustLevel {
  if (device.status !== 'active') return 'revoked';
  return isTrustedDevice(device) ? 'trusted' : 'managed';
}

export interface DeviceCertificateRecord {
  serial: string;
  deviceId: string;
  userId: string;
  issuerId: string;
  spkiSha256: string;
  certificatePem: string;
  notBefore: number;
  notAfter: number;
  issuedAt: number;
  renewedFrom: string | null;
  revokedAt: number | null;
  revocationReason: string | null;
}

export interface EnrollmentTokenRecord {
  id: string;
  userId: string;
  expiresAt: number;
}

const num = (value: unknown): number => Number(value);
const numOrNull = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

/** SHA-256 hex of an enrollment token: only this is stored. */
export function hashEnrollmentToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** The CA records this node has read (active root and intermediate, verifying intermediates); follows the `ca` revision. */
export function caCache(db: Database, options: RevisionCacheOptions): RevisionCache<unknown> {
  return new RevisionCache(revisionOf(db, 'ca'), options);
}

export class DeviceTrustStore {
  constructor(
    readonly db: Database,
    /** Read on every device check; none: every check reads the table. */
    private readonly ca?: RevisionCache<unknown>,
  ) {}

  /** `load()` through the CA cache, unless reading inside a transaction (`db` is not the pool). */
  private cachedCa<T>(key: string, db: Db, load: () => Promise<T>): Promise<T> {
    return this.ca && db === this.db ? (this.ca.get(key, load) as Promise<T>) : load();
  }

  /** Awaits a write of CA records, then forgets the cached ones (the triggers tell the other nodes). */
  private async caWritten<T>(write: PromiseLike<T>): Promise<T> {
    try {
      return await write;
    } finally {
      this.ca?.invalidate();
    }
  }

  transaction<T>(work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  // ---- CA ----------------------------------------------------------------------------------------

  async activeCa(role: CaRole, db: Db = this.db): Promise<CaRecord | undefined> {
    const record = await this.cachedCa(`active:${role}`, db, async () => {
      const row = await db('ca_certificates').where({ role, status: 'active' }).orderBy('created_at', 'desc').first();
      return row ? toCa(row) : undefined;
    });
    return record && { ...record };
  }

  async caById(id: string, db: Db = this.db): Promise<CaRecord | undefined> {
    const row = await db('ca_certificates').where({ id }).first();
    return row ? toCa(row) : undefined;
  }

  /** Intermediates whose leaves verify: the active one and those replaced by rotation, newest first. */
  async verifyingIntermediates(db: Db = this.db): Promise<CaRecord[]> {
    const records = await this.cachedCa('verifying', db, async () => {
      const rows = await db('ca_certificates')
        .where({ role: 'intermediate' })
        .whereIn('status', ['active', 'previous'])
        .orderBy('created_at', 'desc');
      return rows.map(toCa);
    });
    return records.map((record) => ({ ...record }));
  }

  /**
   * Makes `record` the active intermediate; the current one becomes `previous` (still trusted for the
   * leaves it issued), in one transaction.
   */
  async rotateIntermediate(record: Omit<CaRecord, 'status'>): Promise<void> {
    await this.caWritten(
      this.db.transaction(async (trx) => {
        await trx('ca_certificates').where({ role: 'intermediate', status: 'active' }).update({ status: 'previous' });
        await trx('ca_certificates').insert({
          id: record.id,
          role: record.role,
          subject: record.subject,
          certificate_pem: record.certificatePem,
          private_key_sealed: record.privateKeySealed,
          fingerprint_sha256: record.fingerprintSha256,
          not_before: record.notBefore,
          not_after: record.notAfter,
          status: 'active',
          created_at: Date.now(),
        });
      }),
    );
  }

  /** Retires previous intermediates none of whose certificates is still valid at `now`; returns how many. */
  async retireSpentIntermediates(now: number): Promise<number> {
    const previous = await this.db('ca_certificates').where({ role: 'intermediate', status: 'previous' }).select('id');
    let retired = 0;
    for (const { id } of previous as Array<{ id: string }>) {
      const live = await this.db('device_certificates')
        .where({ issuer_id: id })
        .whereNull('revoked_at')
        .andWhere('not_after', '>', now)
        .first('serial');
      if (!live) {
        retired += await this.caWritten(
          this.db('ca_certificates').where({ id, status: 'previous' }).update({ status: 'retired' }),
        );
      }
    }
    return retired;
  }

  async listCa(): Promise<CaRecord[]> {
    return (await this.db('ca_certificates').orderBy('created_at', 'desc')).map(toCa);
  }

  /** Stores a new root and intermediate as the active pair, retiring the previous ones. */
  async replaceCa(records: Array<Omit<CaRecord, 'status'>>): Promise<void> {
    await this.caWritten(
      this.db.transaction(async (trx) => {
        await trx('ca_certificates').where({ status: 'active' }).update({ status: 'retired' });
        for (const r of records) {
          await trx('ca_certificates').insert({
            id: r.id,
            role: r.role,
            subject: r.subject,
            certificate_pem: r.certificatePem,
            private_key_sealed: r.privateKeySealed,
            fingerprint_sha256: r.fingerprintSha256,
            not_before: r.notBefore,
            not_after: r.notAfter,
            status: 'active',
            created_at: Date.now(),
          });
        }
      }),
    );
  }

  // ---- enrollment tokens -------------------------------------------------------------------------

  /** Creates a token for a user; returns the token itself (shown once) and its record. */
  async createEnrollmentToken(
    userId: string,
    ttlMs: number,
    createdBy: string | null,
    now: number = Date.now(),
  ): Promise<{ token: string; record: EnrollmentTokenRecord }> {
    const token = `lket_${randomBytes(32).toString('base64url')}`;
    const record = { id: randomUUID(), userId, expiresAt: now + ttlMs };
    await this.db('enrollment_tokens').insert({
      id: record.id,
      token_hash: hashEnrollmentToken(token),
      user_id: userId,
      created_at: now,
      expires_at: record.expiresAt,
      created_by: createdBy,
    });
    return { token, record };
  }

  /** Finds a token that is unused and unexpired at `now` (no change). */
  async findUsableToken(token: string, now: number, db: Db = this.db): Promise<EnrollmentTokenRecord | undefined> {
    const row = await db('enrollment_tokens')
      .where({ token_hash: hashEnrollmentToken(token) })
      .whereNull('used_at')
      .andWhere('expires_at', '>', now)
      .first();
    return row ? { id: row.id, userId: row.user_id, expiresAt: num(row.expires_at) } : undefined;
  }

  /** Marks the token used for `deviceId`; false when another request used it first (exactly one wins). */
  async consumeToken(id: string, deviceId: string, now: number, db: Db): Promise<boolean> {
    const updated = await db('enrollment_tokens')
      .where({ id })
      .whereNull('used_at')
      .andWhere('expires_at', '>', now)
      .update({ used_at: now, device_id: deviceId });
    return updated === 1;
  }

  /** Why a token is not usable, for the error message: unknown, used or expired. */
  async tokenProblem(token: string, now: number): Promise<'unknown' | 'used' | 'expired' | undefined> {
    const row = await this.db('enrollment_tokens')
      .where({ token_hash: hashEnrollmentToken(token) })
      .first();
    if (!row) return 'unknown';
    if (row.used_at !== null) return 'used';
    if (num(row.expires_at) <= now) return 'expired';
    return undefined;
  }

  // ---- devices -------------------------------------------------------------------------------------

  async insertDevice(device: Omit<DeviceRecord, 'lastSeenAt' | 'revokedAt' | 'revokedReason'>, db: Db): Promise<void> {
    await db('devices').insert({
      id: device.id,
      user_id: device.userId,
      platform: device.platform,
      os_version: device.osVersion,
      hostname: device.hostname,
      managed: device.managed,
      integrity: device.integrity,
      status: device.status,
      source: device.source,
      enrolled_at: device.enrolledAt,
    });
  }

  async device(id: string, db: Db = this.db): Promise<DeviceRecord | undefined> {
    const row = await db('devices').where({ id }).first();
    return row ? toDevice(row) : undefined;
  }

  /** True when `userId` has ever enrolled a device (revoked ones count: their owner is told why they fail). */
  async hasDevices(userId: string): Promise<boolean> {
    return (await this.db('devices').where({ user_id: userId }).first('id')) !== undefined;
  }

  async listDevices(userId?: string): Promise<DeviceRecord[]> {
    const q = this.db('devices').orderBy('enrolled_at', 'desc');
    if (userId) q.where({ user_id: userId });
    return (await q).map(toDevice);
  }

  /** One page of devices, newest first, filtered by owner and trust level (as the console names them). */
  async listDevicesPage(
    filter: { userId?: string; trust?: InventoryTrustLevel },
    request: PageRequest,
  ): Promise<Page<DeviceRecord>> {
    const size = pageSize(request);
    const q = this.db('devices').orderBy([
      { column: 'enrolled_at', order: 'desc' },
      { column: 'id', order: 'desc' },
    ]);
    if (filter.userId) q.where({ user_id: filter.userId });
    if (filter.trust === 'revoked') q.whereNot({ status: 'active' });
    const trusted = { status: 'active', managed: true, integrity: 'passed' };
    if (filter.trust === 'trusted') q.where(trusted);
    if (filter.trust === 'managed') q.where({ status: 'active' }).whereNot((w) => w.where(trusted));
    if (request.after !== undefined) olderThan(q, 'enrolled_at', 'id', decodeCursor(request.after, 'devices', [0, '']));
    const rows = (await q.limit(size + 1)).map(toDevice);
    return pageOf(rows, size, 'devices', (device) => [device.enrolledAt, device.id]);
  }

  async updatePosture(
    id: string,
    posture: { osVersion?: string | null; hostname?: string | null; integrity?: DeviceRecord['integrity'] },
    now: number,
    db: Db = this.db,
  ): Promise<void> {
    const patch: Record<string, unknown> = { last_seen_at: now };
    if (posture.osVersion !== undefined) patch.os_version = posture.osVersion;
    if (posture.hostname !== undefined) patch.hostname = posture.hostname;
    if (posture.integrity !== undefined) patch.integrity = posture.integrity;
    await db('devices').where({ id }).update(patch);
  }

  /**
   * Revokes an active device and every unrevoked certificate it holds (with `certificateReason`), in one
   * transaction; returns the number of certificates revoked, or null if no active device has this id.
   */
  async revokeDevice(
    id: string,
    reason: string,
    now: number,
    certificateReason = 'cessationOfOperation',
  ): Promise<number | null> {
    return this.db.transaction(async (trx) => {
      const updated = await trx('devices')
        .where({ id, status: 'active' })
        .update({ status: 'revoked', revoked_at: now, revoked_reason: reason });
      if (updated !== 1) return null;
      const revoked: number = await trx('device_certificates')
        .where({ device_id: id })
        .whereNull('revoked_at')
        .update({ revoked_at: now, revocation_reason: certificateReason });
      return revoked;
    });
  }

  // ---- certificates ---------------------------------------------------------------------------------

  async insertCertificate(
    cert: Omit<DeviceCertificateRecord, 'revokedAt' | 'revocationReason'>,
    db: Db,
  ): Promise<void> {
    await db('device_certificates').insert({
      serial: cert.serial,
      device_id: cert.deviceId,
      user_id: cert.userId,
      issuer_id: cert.issuerId,
      spki_sha256: cert.spkiSha256,
      certificate_pem: cert.certificatePem,
      not_before: cert.notBefore,
      not_after: cert.notAfter,
      issued_at: cert.issuedAt,
      renewed_from: cert.renewedFrom,
    });
  }

  async certificate(serial: string, db: Db = this.db): Promise<DeviceCertificateRecord | undefined> {
    const row = await db('device_certificates').where({ serial: serial.toLowerCase() }).first();
    return row ? toCertificate(row) : undefined;
  }

  async listCertificates(filter: { deviceId?: string; userId?: string } = {}): Promise<DeviceCertificateRecord[]> {
    const q = this.db('device_certificates').orderBy('issued_at', 'desc');
    if (filter.deviceId) q.where({ device_id: filter.deviceId });
    if (filter.userId) q.where({ user_id: filter.userId });
    return (await q).map(toCertificate);
  }

  /** How many devices there are at each trust level (inventoryTrustLevel's rule, counted in SQL). */
  async countByTrustLevel(): Promise<Record<InventoryTrustLevel, number>> {
    const rows = await this.db('devices')
      .groupBy('status', 'managed', 'integrity')
      .select('status', 'managed', 'integrity')
      .count<Array<{ status: string; managed: unknown; integrity: string; n: number | string }>>({ n: '*' });
    const counts: Record<InventoryTrustLevel, number> = { trusted: 0, managed: 0, revoked: 0 };
    for (const row of rows) {
      const level = inventoryTrustLevel({
        status: row.status as DeviceRecord['status'],
        managed: Boolean(row.managed),
        integrity: row.integrity as DeviceRecord['integrity'],
      });
      counts[level] += Number(row.n);
    }
    return counts;
  }

  /**
   * The unrevoked certificates of active devices that expire by `before`, soonest first, at most `limit`
   * (a renewed certificate is revoked as superseded, so these are the devices that have not renewed).
   */
  async expiringCertificates(before: number, limit: number): Promise<DeviceCertificateRecord[]> {
    const rows = await this.db('device_certificates')
      .join('devices', 'devices.id', 'device_certificates.device_id')
      .where('devices.status', 'active')
      .whereNull('device_certificates.revoked_at')
      .where('device_certificates.not_after', '<=', before)
      .orderBy([
        { column: 'device_certificates.not_after', order: 'asc' },
        { column: 'device_certificates.serial', order: 'asc' },
      ])
      .limit(limit)
      .select('device_certificates.*');
    return rows.map(toCertificate);
  }

  /** One page of certificates, newest first, filtered by device and/or owner. */
  async listCertificatesPage(
    filter: { deviceId?: string; userId?: string },
    request: PageRequest,
  ): Promise<Page<DeviceCertificateRecord>> {
    const size = pageSize(request);
    const q = this.db('device_certificates').orderBy([
      { column: 'issued_at', order: 'desc' },
      { column: 'serial', order: 'desc' },
    ]);
    if (filter.deviceId) q.where({ device_id: filter.deviceId });
    if (filter.userId) q.where({ user_id: filter.userId });
    if (request.after !== undefined)
      olderThan(q, 'issued_at', 'serial', decodeCursor(request.after, 'certificates', [0, '']));
    const rows = (await q.limit(size + 1)).map(toCertificate);
    return pageOf(rows, size, 'certificates', (certificate) => [certificate.issuedAt, certificate.serial]);
  }

  /** Revokes one certificate; false when it was already revoked or does not exist. */
  async revokeCertificate(serial: string, reason: string, now: number, db: Db = this.db): Promise<boolean> {
    const updated = await db('device_certificates')
      .where({ serial: serial.toLowerCase() })
      .whereNull('revoked_at')
      .update({ revoked_at: now, revocation_reason: reason });
    return updated === 1;
  }

  /**
   * Changes whenever a certificate of `issuerId` is revoked: the count of revoked certificates and the
   * latest revocation time. Revocations are never undone, so an unchanged value means an unchanged list.
   */
  async revocationFingerprint(issuerId: string): Promise<string> {
    const row = (await this.db('device_certificates')
      .where({ issuer_id: issuerId })
      .whereNotNull('revoked_at')
      .count({ count: '*' })
      .max({ latest: 'revoked_at' })
      .first()) as { count?: unknown; latest?: unknown } | undefined;
    return `${issuerId}:${num(row?.count ?? 0)}:${numOrNull(row?.latest) ?? 0}`;
  }

  /** Revoked certificates not yet expired (what a CRL must list) issued by `issuerId`. */
  async revokedForCrl(issuerId: string, now: number): Promise<DeviceCertificateRecord[]> {
    return (
      await this.db('device_certificates')
        .where({ issuer_id: issuerId })
        .whereNotNull('revoked_at')
        .andWhere('not_after', '>', now)
        .orderBy('revoked_at')
    ).map(toCertificate);
  }
}

function toCa(row: Record<string, unknown>): CaRecord {
  return {
    id: String(row.id),
    role: row.role as CaRole,
    subject: String(row.subject),
    certificatePem: String(row.certificate_pem),
    privateKeySealed: (row.private_key_sealed as string | null) ?? null,
    fingerprintSha256: String(row.fingerprint_sha256),
    notBefore: num(row.not_before),
    notAfter: num(row.not_after),
    status: row.status as CaRecord['status'],
  };
}

/** Keeps rows after `key` in descending (time, id) order: older, or as old with a smaller id. */
function olderThan(q: Knex.QueryBuilder, time: string, id: string, [at, last]: readonly [number, string]): void {
  q.where((w) => w.where(time, '<', at).orWhere((same) => same.where(time, at).andWhere(id, '<', last)));
}

function toDevice(row: Record<string, unknown>): DeviceRecord {
  return {
    id: String(row.id),
    userId: String(row.user_id),
    platform: String(row.platform),
    osVersion: (row.os_version as string | null) ?? null,
    hostname: (row.hostname as string | null) ?? null,
    managed: Boolean(row.managed),
    integrity: row.integrity as DeviceRecord['integrity'],
    status: row.status as DeviceRecord['status'],
    source: (row.source as DeviceSource | undefined) ?? 'agent',
    enrolledAt: num(row.enrolled_at),
    lastSeenAt: numOrNull(row.last_seen_at),
    revokedAt: numOrNull(row.revoked_at),
    revokedReason: (row.revoked_reason as string | null) ?? null,
  };
}

function toCertificate(row: Record<string, unknown>): DeviceCertificateRecord {
  return {
    serial: String(row.serial),
    deviceId: String(row.device_id),
    userId: String(row.user_id),
    issuerId: String(row.issuer_id),
    spkiSha256: String(row.spki_sha256),
    certificatePem: String(row.certificate_pem),
    notBefore: num(row.not_before),
    notAfter: num(row.not_after),
    issuedAt: num(row.issued_at),
    renewedFrom: (row.renewed_from as string | null) ?? null,
    revokedAt: numOrNull(row.revoked_at),
    revocationReason: (row.revocation_reason as string | null) ?? null,
  };
}
