// From what Latchkey announces (src/signals.ts) to counters: audit events (sign-ins, policy decisions,
// enrollments and renewals), rate-limit refusals and device checks. Only this app's events count: each
// subscription compares the message's source with the app's own.
import diagnostics from 'node:diagnostics_channel';
import {
  auditAppended,
  deviceChecked,
  rateLimitRefused,
  type AuditAppended,
  type DeviceChecked,
  type RateLimitRefused,
} from '../signals.js';
import { codeLabel, type LatchkeyMetrics } from './registry.js';

/** The objects this app's events name as their source. */
export interface EventSources {
  /** The database the audit log writes to. */
  audit: object;
  rateLimits: object;
  deviceTrust: object;
}

const ISSUANCE: Record<string, { kind: 'enrollments' | 'renewals'; channel: string }> = {
  'device.enroll': { kind: 'enrollments', channel: 'agent' },
  'device.renew': { kind: 'renewals', channel: 'agent' },
  'scep.enroll': { kind: 'enrollments', channel: 'scep' },
  'scep.renew': { kind: 'renewals', channel: 'scep' },
};

/** Counts one audit event, when it is one the metrics follow. */
export function countAuditEvent(metrics: LatchkeyMetrics, event: AuditAppended['event']): void {
  const detail = (event.detail ?? {}) as Record<string, unknown>;
  if (event.event === 'login.complete') {
    metrics.signIns.inc({
      client: metrics.clients.value(event.clientId),
      outcome: codeLabel(event.outcome),
      error: event.outcome === 'success' ? 'none' : codeLabel(detail.error ?? 'none'),
    });
    return;
  }
  if (event.event === 'policy.decision') {
    metrics.policyDecisions.inc({
      outcome: codeLabel(detail.outcome ?? event.outcome),
      basis: codeLabel(detail.basis),
    });
    return;
  }
  const issuance = ISSUANCE[event.event];
  if (!issuance) return;
  const failed = event.outcome === 'failure';
  metrics[issuance.kind].inc({
    channel: issuance.channel,
    outcome: failed ? 'failure' : 'success',
    code: failed ? codeLabel(event.reasons?.[0], /^ERR_[A-Z0-9_]{1,60}$/) : 'none',
  });
}

/** Subscribes the counters to this app's announcements; returns the unsubscribe. */
export function followEvents(metrics: LatchkeyMetrics, sources: EventSources): () => void {
  const subscriptions: Array<[diagnostics.Channel, (message: unknown) => void]> = [
    [
      auditAppended,
      (message) => {
        const { source, event } = message as AuditAppended;
        if (source === sources.audit) countAuditEvent(metrics, event);
      },
    ],
    [
      rateLimitRefused,
      (message) => {
        const { source, limit } = message as RateLimitRefused;
        if (source === sources.rateLimits) metrics.rateLimitRefusals.inc({ limit: codeLabel(limit) });
      },
    ],
    [
      deviceChecked,
      (message) => {
        const { source, via, status } = message as DeviceChecked;
        if (source === sources.deviceTrust) metrics.deviceChecks.inc({ via, result: codeLabel(status) });
      },
    ],
  ];
  for (const [channel, listener] of subscriptions) channel.subscribe(listener);
  return () => {
    for (const [channel, listener] of subscriptions) channel.unsubscribe(listener);
  };
}
