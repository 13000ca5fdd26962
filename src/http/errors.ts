// Turns errors into responses: LatchkeyErrors show their safe message with their status; a store outage is
// 503 with Retry-After; a request refused by the body parser (too large, malformed) keeps its 4xx status;
// anything else is logged with its stack and shown as a generic failure. No stack ever reaches a user.
import type { Context, Middleware } from 'koa';
import { isLatchkeyError, LatchkeyError, RateLimitedError } from '../errors.js';
import type { Logger } from '../log.js';
import { asOutage, StoreUnavailableError } from '../store/outage.js';
import { errorPage } from '../views/pages.js';

export interface ErrorHandlerOptions {
  /** Always answer JSON, whatever the client accepts (API endpoints that never serve pages). */
  json?: boolean;
}

/** What a body parser (raw-body, co-body) throws: an http-errors error with an exposable 4xx status. */
interface HttpError {
  status: number;
  expose: boolean;
  type?: string;
}

const BODY_ERRORS: Record<string, [code: string, message: string]> = {
  'entity.too.large': ['ERR_REQUEST_TOO_LARGE', 'The submitted form is too large.'],
  'encoding.unsupported': ['ERR_REQUEST_ENCODING', 'The request body uses an unsupported encoding.'],
  'entity.parse.failed': ['ERR_REQUEST_MALFORMED', 'The request body could not be read.'],
  'request.aborted': ['ERR_REQUEST_ABORTED', 'The request was aborted.'],
};

/** The LatchkeyError an error stands for, when it is one we can describe. */
export function describeError(error: unknown): LatchkeyError | undefined {
  const outage = asOutage(error);
  if (isLatchkeyError(outage)) return outage;
  const http = error as Partial<HttpError> | null;
  if (http && typeof http.status === 'number' && http.status >= 400 && http.status < 500 && http.expose) {
    const [code, message] = BODY_ERRORS[http.type ?? ''] ?? ['ERR_REQUEST_INVALID', 'The request is not valid.'];
    return new LatchkeyError(code, message, { status: http.status });
  }
  return undefined;
}

/** Sets Retry-After for errors that say when to come back. */
export function setRetryAfter(ctx: Context, error: LatchkeyError | undefined): void {
  if (error instanceof RateLimitedError || error instanceof StoreUnavailableError)
    ctx.set('Retry-After', String(error.retryAfterSeconds));
}

export function errorHandler(log: Logger, options: ErrorHandlerOptions = {}): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      const known = describeError(error);
      const status = known ? known.status : 500;
      if (known instanceof StoreUnavailableError) log.warn({ err: error, path: ctx.path }, 'store unavailable');
      else if (status >= 500) log.error({ err: error, path: ctx.path }, 'request failed');
      else log.info({ errorCode: known?.code, path: ctx.path, ip: ctx.ip }, 'request refused');
      setRetryAfter(ctx, known);
      if (known?.code === 'ERR_REQUEST_TOO_LARGE') ctx.set('Connection', 'close');
      ctx.status = status;
      const safeMessage = known && (status < 500 || status === 503);
      const message = safeMessage ? known.message : 'Something went wrong on our side. Please try again.';
      const code = known ? known.code : 'ERR_INTERNAL';
      if (options.json || ctx.accepts('html', 'json') === 'json') {
        ctx.body = { error: code, error_description: message };
      } else {
        ctx.type = 'html';
        ctx.body = errorPage(
          status === 503 ? 'Temporarily unavailable' : status >= 500 ? 'Something went wrong' : 'Request refused',
          message,
          `Error code: ${code}`,
        );
      }
    }
  };
}
