// What every method that takes a secret shares: an attempt is reserved against the failed-attempt limits
// (and audited when refused) before the secret is looked at.
import { RateLimitedError } from '../../errors.js';
import type { AuditEvent, AuditLog } from '../../store/audit.js';
import type { FactorKind, Reservation, SignInThrottle } from '../throttle.js';
import type { RequestFacts, RetryableFailure } from './types.js';

/** A reservation for one attempt, or the refusal to answer with when a budget is used up. */
export async function reserveAttempt(
  deps: { throttle: SignInThrottle; audit: Pick<AuditLog, 'record'> },
  kind: FactorKind,
  subject: string,
  request: RequestFacts,
  audit: Omit<AuditEvent, 'outcome'>,
): Promise<{ reservation: Reservation } | { refused: RetryableFailure }> {
  try {
    return { reservation: await deps.throttle.reserve(kind, subject, request.ip) };
  } catch (error) {
    if (!(error instanceof RateLimitedError)) throw error;
    await deps.audit.record({ ...audit, outcome: 'failure', reasons: ['rate limited'] });
    return {
      refused: {
        ok: false,
        settled: false,
        status: 429,
        code: 'ERR_RATE_LIMITED',
        message: error.message,
        retryAfter: error.retryAfterSeconds,
      },
    };
  }
}

/** A failed attempt the person may try again. */
export function retry(status: number, code: string, message: string, username?: string): RetryableFailure {
  return { ok: false, settled: false, status, code, message, username };
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** The audit fields of a method's request. */
export function auditBase(event: string, request: RequestFacts) {
  return { event, ip: request.ip, userAgent: request.userAgent, clientId: request.clientId };
}
