// What every administration service shares: who asked (the audit actor and where from) and the audit port.
// The CLI, the admin API and the console call the same services, so they never disagree; only the actor
// differs: "cli", "client:<client_id>" or "token:<name>" (admin API), "admin:<username>" (console).
import { ForbiddenError } from '../errors.js';
import { grantsScope, type AdminApiScope } from '../http/admin-auth.js';
import type { AuditEvent } from '../store/audit.js';

/** Who asked for a change: recorded with every audit event the change writes. */
export interface AdminOrigin {
  actor: string;
  ip?: string | null;
  userAgent?: string | null;
  /**
   * The admin API scopes the caller holds; absent for a full administrator (the CLI on a node, a console
   * admin). Changes that could hand out more than the caller holds check it (refuseEscalation).
   */
  grants?: readonly string[];
}

/** The scope that changes the administrators themselves: the admin group's members and their sign-in. */
export const ADMINS_SCOPE = 'latchkey.admins.manage';

/** Whether `origin` may grant `scope`, i.e. holds it itself (by the bearer check's own rule: manage includes read). */
function mayGrant(origin: AdminOrigin, scope: string): boolean {
  return origin.grants === undefined || grantsScope(origin.grants, scope as AdminApiScope);
}

/**
 * Refuses a change that would let `origin` act as more than it holds: giving a scope it lacks, or changing
 * an administrator (a member of the admin group: their credentials, identifiers, devices) without
 * latchkey.admins.manage.
 */
export function refuseEscalation(origin: AdminOrigin, scopes: readonly string[], what: string): void {
  const missing = scopes.filter((scope) => !mayGrant(origin, scope));
  if (missing.length > 0) {
    throw new ForbiddenError(
      'ERR_ADMIN_SCOPE_ESCALATION',
      `${what} needs ${missing.join(', ')}, which this caller does not hold`,
      { missing },
    );
  }
}

/** The audit log as the services use it (store/audit.ts implements it). */
export interface AuditPort {
  record(event: AuditEvent): Promise<void>;
}

/** Records administrative event `event` by `origin`: a change (success), or one refused (`outcome` failure). */
export function recordChange(
  audit: AuditPort,
  origin: AdminOrigin,
  event: string,
  fields: Omit<AuditEvent, 'event' | 'outcome' | 'actor' | 'ip' | 'userAgent'> = {},
  outcome: AuditEvent['outcome'] = 'success',
): Promise<void> {
  return audit.record({
    event,
    outcome,
    actor: origin.actor,
    ip: origin.ip ?? null,
    userAgent: origin.userAgent ?? null,
    ...fields,
  });
}
