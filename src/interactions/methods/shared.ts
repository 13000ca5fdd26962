// What every method that takes a secret shares: the failed-attempt limit, checked (and audited) before
// the secret is looked at.
import { RateLimitedError } from '../../errors.js';
import type { AuditEvent } from '../../store/audit.js';
import type { MethodDeps, RequestFacts, StepOutcome } from './types.js';

/** Returns a refusal when `username` or the IP has used up its failures, else undefined. */
export async function throttled(
  deps: MethodDeps,
  username: string,
  facts: RequestFacts,
  audit: Omit<AuditEvent, 'outcome'>,
): Promise<StepOutcome | undefined> {
  try {
    await deps.throttle.assertAllowed(username, facts.ip);
    return undefined;
  } catch (error) {
    if (!(error instanceof RateLimitedError)) throw error;
    await deps.audit.record({ ...audit, outcome: 'failure', reasons: ['rate limited'] });
    return { ok: false, status: 429, message: error.message, retryAfter: error.retryAfterSeconds };
  }
}
