// What parts of Latchkey announce as they work, for observers such as the metrics (src/metrics/), on
// node:diagnostics_channel: free when nobody listens, and no part needs to know who does. Each message
// names its `source` (the audit log's database, the rate-limit store, the device-trust service) so that an
// observer counts only its own app's events when several run in one process (tests do).
import diagnostics from 'node:diagnostics_channel';

/** An event was appended to the audit log (after it was written). */
export const auditAppended = diagnostics.channel('latchkey:audit.appended');
export interface AuditAppended {
  source: object;
  event: { event: string; outcome: string; clientId?: string | null; reasons?: string[]; detail?: unknown };
}

/** A request or attempt was refused because a rate limit was used up; `limit` names the budget. */
export const rateLimitRefused = diagnostics.channel('latchkey:rate-limit.refused');
export interface RateLimitRefused {
  source: object;
  limit: string;
}

/** A presented device certificate was checked; `via` says for what. */
export const deviceChecked = diagnostics.channel('latchkey:device.checked');
export interface DeviceChecked {
  source: object;
  via: 'sign_in' | 'check_endpoint';
  status: string;
}

/** Publishes `message` on `channel` when anyone listens. */
export function announce<T extends object>(channel: diagnostics.Channel, message: T): void {
  if (channel.hasSubscribers) channel.publish(message);
}
