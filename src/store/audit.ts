// The append-only audit log: every sign-in success and failure, policy decision and admin action, with
// its reasons. Nothing here ever updates or deletes a row.
import { AsyncLocalStorage } from 'node:async_hooks';
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
  /** The sign-in (interaction uid) the event belongs to; by default the one being handled (withinSignIn). */
  signIn?: string | null;
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
  signIn?: string;
  since?: number;
  /** Only events older than this one (cursor pagination). */
  beforeId?: number;
  /** Only events with this outcome. */
  outcome?: AuditEvent['outcome'];
  /** Only events recorded by this actor ("cli", "client:<id>", "admin:<username>"). */
  actor?: string;
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
  sign_in: string | null;
  reasons: string;
  detail: string | null;
}

const currentSignIn = new AsyncLocalStorage<string>();

/**
 * Runs `work` as part of sign-in `uid`: every event recorded meanwhile carries it. A uid that cannot be an
 * interaction's (from a forged path) is not recorded: the request fails to load its interaction anyway.
 */
export function withinSignIn<T>(uid: string, work: () => Promise<T>): Promise<T> {
  return /^[A-Za-z0-9_-]{1,64}$/.test(uid) ? currentSignIn.run(uid, work) : work();
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
      sign_in: event.signIn ?? currentSignIn.getStore() ?? null,
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
    if (query.signIn) q.where('sign_in', query.signIn);
    if (query.since !== undefined) q.where('at', '>=', query.since);
    if (query.beforeId !== undefined) q.where('id', '<', query.beforeId);
    if (query.outcome) q.where('outcome', query.outcome);
    if (query.actor) q.where('actor', query.actor);
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
      signIn: row.sign_in,
      reasons: JSON.parse(row.reasons) as string[],
      detail: row.detail ? (JSON.parse(row.detail) as Record<string, unknown>) : null,
    }));
  }
}
