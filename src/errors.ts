// The LatchkeyError family: every failure Latchkey reports carries a stable `code` that tests and
// operators match on, an HTTP status, a message safe to show a user, and detail meant only for logs.

export interface LatchkeyErrorOptions {
  /** HTTP status to answer with when this error reaches an HTTP edge. */
  status?: number;
  /** Detail for logs only (never shown to users). */
  detail?: Record<string, unknown>;
  cause?: unknown;
}

export class LatchkeyError extends Error {
  readonly code: string;
  readonly status: number;
  readonly detail: Record<string, unknown>;

  constructor(code: string, message: string, options: LatchkeyErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = options.status ?? 500;
    this.detail = options.detail ?? {};
  }
}

/** Configuration that cannot be used: names the setting, the value and what is allowed. */
export class ConfigError extends LatchkeyError {
  constructor(message: string, detail: Record<string, unknown> = {}) {
    super('ERR_CONFIG_INVALID', message, { status: 500, detail });
  }
}

/** Input from a client, user or operator that is malformed or not allowed. */
export class InvalidInputError extends LatchkeyError {
  constructor(code: string, message: string, detail: Record<string, unknown> = {}) {
    super(code, message, { status: 400, detail });
  }
}

export class NotFoundError extends LatchkeyError {
  constructor(code: string, message: string, detail: Record<string, unknown> = {}) {
    super(code, message, { status: 404, detail });
  }
}

export class ConflictError extends LatchkeyError {
  constructor(code: string, message: string, detail: Record<string, unknown> = {}) {
    super(code, message, { status: 409, detail });
  }
}

/** Credentials or proof were presented and did not verify. */
export class AuthenticationError extends LatchkeyError {
  constructor(code: string, message: string, detail: Record<string, unknown> = {}) {
    super(code, message, { status: 401, detail });
  }
}

export class ForbiddenError extends LatchkeyError {
  constructor(code: string, message: string, detail: Record<string, unknown> = {}) {
    super(code, message, { status: 403, detail });
  }
}

export class RateLimitedError extends LatchkeyError {
  readonly retryAfterSeconds: number;
  constructor(message: string, retryAfterSeconds: number, detail: Record<string, unknown> = {}) {
    super('ERR_RATE_LIMITED', message, { status: 429, detail });
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** A dependency (database, Redis, CA key) is unavailable: callers fail closed. */
export class UnavailableError extends LatchkeyError {
  constructor(code: string, message: string, options: LatchkeyErrorOptions = {}) {
    super(code, message, { ...options, status: 503 });
  }
}

export function isLatchkeyError(error: unknown): error is LatchkeyError {
  return error instanceof LatchkeyError;
}
