// What every method that takes a secret shares: an attempt is reserved against the failed-attempt limits
// (and audited when refused) before the secret is looked at.
import { RateLimitedError } from '../../errors.js';
import type { AuditEvent } from '../../store/audit.js';
import type { FactorKind, Reservation } from '../throttle.js';
import type { MethodDeps, RequestFacts, StepOutcome } from './types.js';

/** A reservation for one attempt, or the refusal to answer with when a budget is used up. */
export async function reserveAttempt(
  deps: MethodDeps,
  kind: FactorKind,
  subject: string,
  facts: RequestFacts,
  audit: Omit<AuditEvent, 'outcome'>,
): Promise<{ reservation: Reservation } | { refused: StepOutcome }> {
  try {
    return { reservation: await deps.throttle.reserve(kind, subject, facts.ip) };
  } catch (error) {
    if (!(error instanceof RateLimitedError)) throw error;
    await deps.audit.record({ ...audit, outcome: 'failure', reasons: ['rate limited'] });
    return { refused: { ok: false, status: 429, message: error.message, retryAfter: error.retryAfterSeconds } };
  }
}
