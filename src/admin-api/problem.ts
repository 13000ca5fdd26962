// Errors of the admin API as RFC 9457 problem details: `type` urn:latchkey:error:<code> (the same stable
// codes as the CLI), `title`, `status`, `detail`, and `code` for clients that match on it. Unexpected errors
// are logged with their stack and answered as ERR_INTERNAL without detail; a store outage is 503.
import type { Middleware } from 'koa';
import { describeError, setRetryAfter } from '../http/errors.js';
import type { Logger } from '../log.js';
import { StoreUnavailableError } from '../store/outage.js';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** Details an error may show the caller besides its message (policy problems, field names). */
const PUBLIC_DETAIL = ['issues', 'field', 'fields'] as const;

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  [extension: string]: unknown;
}

/** Answers every error below it with application/problem+json. */
export function problemDetails(log: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      // Nothing below answered: no such operation (never passed on to the rest of the server).
      if (ctx.body === undefined && ctx.status === 404) {
        ctx.status = 404;
        ctx.type = 'application/problem+json';
        ctx.body = problem(404, 'ERR_NOT_FOUND', `no admin API operation at ${ctx.method} ${ctx.path}`);
      }
    } catch (error) {
      const known = describeError(error);
      const status = known?.status ?? 500;
      if (known instanceof StoreUnavailableError) log.warn({ err: error, path: ctx.path }, 'store unavailable');
      else if (status >= 500) log.error({ err: error, path: ctx.path }, 'admin API request failed');
      else log.info({ errorCode: known?.code, path: ctx.path, ip: ctx.ip }, 'admin API request refused');
      setRetryAfter(ctx, known);
      const shown = known && (status < 500 || status === 503);
      const body = shown
        ? problem(status, known.code, known.message)
        : problem(500, 'ERR_INTERNAL', 'Something went wrong on our side; the error was logged.');
      if (shown) for (const key of PUBLIC_DETAIL) if (known.detail[key] !== undefined) body[key] = known.detail[key];
      ctx.status = body.status;
      ctx.type = 'application/problem+json';
      ctx.body = body;
    }
  };
}

export function problem(status: number, code: string, detail: string): Problem {
  return { type: `urn:latchkey:error:${code}`, title: TITLES[status] ?? 'Error', status, detail, code };
}
