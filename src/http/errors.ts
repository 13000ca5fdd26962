// Turns errors into responses: LatchkeyErrors show their safe message with their status; anything else
// is logged with its stack and shown as a generic failure. No stack ever reaches a user.
import type { Middleware } from 'koa';
import { isLatchkeyError, RateLimitedError } from '../errors.js';
import type { Logger } from '../log.js';
import { errorPage } from '../views/pages.js';

export interface ErrorHandlerOptions {
  /** Always answer JSON, whatever the client accepts (API endpoints that never serve pages). */
  json?: boolean;
}

export function errorHandler(log: Logger, options: ErrorHandlerOptions = {}): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      const known = isLatchkeyError(error);
      const status = known ? error.status : 500;
      if (status >= 500) log.error({ err: error, path: ctx.path }, 'request failed');
      else log.info({ errorCode: known ? error.code : undefined, path: ctx.path, ip: ctx.ip }, 'request refused');
      if (error instanceof RateLimitedError) ctx.set('Retry-After', String(error.retryAfterSeconds));
      ctx.status = status;
      const message = known && status < 500 ? error.message : 'Something went wrong on our side. Please try again.';
      const code = known ? error.code : 'ERR_INTERNAL';
      if (options.json || ctx.accepts('html', 'json') === 'json') {
        ctx.body = { error: code, error_description: message };
      } else {
        ctx.type = 'html';
        ctx.body = errorPage(
          status >= 500 ? 'Something went wrong' : 'Request refused',
          message,
          `Error code: ${code}`,
        );
      }
    }
  };
}
