// The append-only audit log: every sign-in success and failure, policy decision and admin action, with
// its reasons. Nothing here ever updates or deletes a row.
import { announce, auditAppended, type AuditAppended } from '../signals.js';
import type { Database } from './database.js';

export interface AuditEvent {
  event: string;
  outcome: 'success' | 'failure' | 'allow' | 'deny' | 'info';
  actor?: string | null;
  userId?: string | null;
  username?: string | null;
  clientId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  deviceId?: string | null;
  reasons?: string[];
  detail?: Record<string, unknown>;
}

export interface StoredAuditEvent extends Required<Omit<AuditEvent, 'detail'>> {
  id: number;
  at: number;
  detail: Record<string, unknown> | null;
}

export interface AuditQuery {
  userId?: string;
  username?: string;
  clientId?: string;
  event?: string;
  since?: number;
  limit?: number;
}

interface AuditRow {
  id: number;
  at: number;
  event: string;
  outcome: AuditEvent['outcome'];
  actor: string | null;
  user_id: string | null;
  username: string | null;
  client_id: string | null;
  ip: string | null;
  user_agent: string | null;
  device_id: string | null;
  reasons: string;
  detail: string | null;
}

export class AuditLog {
  constructor(private readonly db: Database) {}

  /** Appends one event. */
  async record(event: AuditEvent, at = Date.now()): Promise<void> {
    await this.db('audit_events').insert({
      at,
      event: event.event,
      outcome: event.outcome,
      actor: event.actor ?? null,
      user_id: event.userId ?? null,
      username: event.username ?? null,
      client_id: event.clientId ?? null,
      ip: event.ip ?? null,
      user_agent: event.userAgent?.slice(0, 1024) ?? null,
      device_id: event.deviceId ?? null,
      reasons: JSON.stringify(event.reasons ?? []),
      detail: event.detail ? JSON.stringify(event.detail) : null,
    });
    announce<AuditAppended>(auditAppended, { source: this.db, event });
  }

  /** Newest first, filtered. */
  async search(query: AuditQuery = {}): Promise<StoredAuditEvent[]> {
    const q = this.db<AuditRow>('audit_events')
      .orderBy('id', 'desc')
      .limit(Math.min(query.limit ?? 100, 10000));
    if (query.userId) q.where('user_id', query.userId);
    if (query.username) q.where('username', query.username.toLowerCase());
    if (query.clientId) q.where('client_id', query.clientId);
    if (query.event) q.where('event', query.event);
    if (query.since !== undefined) q.where('at', '>=', query.since);
    const rows = await q;
    return rows.map((row) => ({
      id: Number(row.id),
      at: Number(row.at),
      event: row.event,
      outcome: row.outcome,
      actor: row.actor,
      userId: row.user_id,
      username: row.username,
      clientId: row.client_id,
      ip: row.ip,
      userAgent: row.user_agent,
      deviceId: row.device_id,
      reasons: JSON.parse(row.reasons) as string[],
      detail: row.detail ? (JSON.parse(row.detail) as Record<string, unknown>) : null,
    }));
  }
}
