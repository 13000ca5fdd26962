// The metrics Latchkey exposes, on a registry of its own per app (never prom-client's global one, so two
// apps in one process, as in tests, keep their counts apart). Labels are bounded: client ids by the
// registered clients (and a cap), methods, outcomes and error codes by the code; never users or addresses.
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/** Distinct values one label may take before further ones are counted as "other". */
const MAX_LABEL_VALUES = 500;

/** Seconds: from a fast SQLite read to a store timeout. */
const STORE_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** A label whose values come from outside the code (client ids): the first MAX_LABEL_VALUES, then "other". */
export class BoundedLabel {
  readonly #seen = new Set<string>();

  constructor(private readonly max = MAX_LABEL_VALUES) {}

  value(raw: string | null | undefined): string {
    const value = raw || 'none';
    if (this.#seen.has(value)) return value;
    if (this.#seen.size >= this.max) return 'other';
    this.#seen.add(value);
    return value;
  }
}

/** A label value from a small vocabulary written by the code: itself when it looks like one, else "other". */
export function codeLabel(raw: unknown, pattern = /^[A-Za-z0-9_.:-]{1,64}$/): string {
  return typeof raw === 'string' && pattern.test(raw) ? raw : 'other';
}

export class LatchkeyMetrics {
  readonly registry = new Registry();
  readonly clients = new BoundedLabel();

  readonly signIns = this.counter(
    'latchkey_sign_ins_total',
    'Sign-ins that ended (audit event login.complete), by client, outcome and OAuth error',
    ['client', 'outcome', 'error'],
  );
  readonly policyDecisions = this.counter(
    'latchkey_policy_decisions_total',
    'Policy decisions that ended a sign-in (audit event policy.decision), by outcome and basis',
    ['outcome', 'basis'],
  );
  readonly deviceChecks = this.counter(
    'latchkey_device_checks_total',
    'Device certificates checked, by where (sign_in: the sign-in hand-off, check_endpoint: GET /device/check) and result',
    ['via', 'result'],
  );
  readonly tokensIssued = this.counter(
    'latchkey_tokens_issued_total',
    'Tokens issued by the token endpoint, by grant type and token type',
    ['grant_type', 'token'],
  );
  readonly tokenErrors = this.counter(
    'latchkey_token_errors_total',
    'Token requests refused, by grant type and OAuth error',
    ['grant_type', 'error'],
  );
  readonly enrollments = this.counter(
    'latchkey_device_enrollments_total',
    'Device enrollments, by channel (agent, scep), outcome and refusal code',
    ['channel', 'outcome', 'code'],
  );
  readonly renewals = this.counter(
    'latchkey_device_renewals_total',
    'Device certificate renewals, by channel (agent, scep), outcome and refusal code',
    ['channel', 'outcome', 'code'],
  );
  readonly rateLimitRefusals = this.counter(
    'latchkey_rate_limit_refusals_total',
    'Requests and sign-in attempts refused by a rate limit, by limit',
    ['limit'],
  );
  readonly storeDuration = new Histogram({
    name: 'latchkey_store_operation_duration_seconds',
    help: 'Time of one database query (store sql) or Redis command (store redis), by operation',
    labelNames: ['store', 'operation'],
    buckets: STORE_BUCKETS,
    registers: [this.registry],
  });
  readonly storeErrors = this.counter(
    'latchkey_store_errors_total',
    'Database queries and Redis commands that failed, by store and operation',
    ['store', 'operation'],
  );

  constructor() {
    // Process metrics: CPU, memory, handles, GC, and event-loop lag (nodejs_eventloop_lag_*).
    collectDefaultMetrics({ register: this.registry });
  }

  /** The exposition text and its content type, for one scrape. */
  async scrape(): Promise<{ body: string; contentType: string }> {
    return { body: await this.registry.metrics(), contentType: this.registry.contentType };
  }

  private counter<L extends string>(name: string, help: string, labelNames: L[]): Counter<L> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }
}
