// Which failures mean "a store is unavailable right now" (PostgreSQL stalled or down, Redis unreachable,
// SQLite locked) rather than a bug: those are answered 503 with Retry-After, and sign-ins fail closed with
// temporarily_unavailable. The drivers report outages in many shapes, so they are recognised here, once.
import { UnavailableError } from '../errors.js';

/** Seconds a client is told to wait (Retry-After) when a store is unavailable. */
export const OUTAGE_RETRY_AFTER_SECONDS = 5;

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** SQLSTATEs of PostgreSQL for lost or refused connections, shutdowns, timeouts and exhausted slots. */
const POSTGRES_STATES = /^(08\d{3}|57P0[1-4]|57014|53300|53400|55P03)$/;

const SQLITE_CODES = new Set(['SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_BUSY_TIMEOUT', 'SQLITE_IOERR']);

// knex prefixes driver messages with the SQL ("select ... - Query read timeout"): match anywhere.
const MESSAGES = [
  /Knex: Timeout acquiring a connection/,
  /Query read timeout/,
  /Connection terminated/,
  /timeout expired/,
  /Client has encountered a connection error/,
  /^Command timed out/,
  /^Connection is closed/,
  /^Stream isn't writeable/,
  /^Reached the max retries per request limit/,
  /^LOADING /,
];

const NAMES = new Set(['KnexTimeoutError', 'MaxRetriesPerRequestError', 'TimeoutError']);

/** True when `error` (or an error it wraps) says a database or Redis is unavailable. */
export function isStoreOutage(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 5; depth += 1) {
    if (current instanceof StoreUnavailableError) return true;
    if (typeof current !== 'object') return false;
    const { code, name, message, errors } = current as {
      code?: unknown;
      name?: unknown;
      message?: unknown;
      errors?: unknown;
    };
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || POSTGRES_STATES.test(code) || SQLITE_CODES.has(code)))
      return true;
    if (typeof name === 'string' && NAMES.has(name)) return true;
    if (typeof message === 'string' && MESSAGES.some((pattern) => pattern.test(message))) return true;
    // Node reports a failed connection to every address of a host as an AggregateError.
    if (Array.isArray(errors) && errors.some((inner) => isStoreOutage(inner))) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** A store did not answer: the request fails closed with 503 and Retry-After. */
export class StoreUnavailableError extends UnavailableError {
  readonly retryAfterSeconds = OUTAGE_RETRY_AFTER_SECONDS;
  constructor(cause: unknown) {
    super('ERR_STORE_UNAVAILABLE', 'Latchkey cannot reach its storage right now. Try again in a few seconds.', {
      cause,
    });
  }
}

/** The same error when it is an outage, as a StoreUnavailableError; anything else unchanged. */
export function asOutage(error: unknown): unknown {
  return isStoreOutage(error) && !(error instanceof StoreUnavailableError) ? new StoreUnavailableError(error) : error;
}
