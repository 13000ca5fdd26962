// Writing a console page into the response: the pages' strict CSP (no script, forms to ourselves only),
// no caching of what an administrator saw, HTML.
import { setPageCsp } from '../http/security-headers.js';
import type { ConsoleRequest } from './deps.js';

/** Renders a console document into the response. */
export function render(request: ConsoleRequest, document: string, status?: number): void {
  setPageCsp(request.ctx);
  request.ctx.set('Cache-Control', 'no-store');
  if (status !== undefined) request.ctx.status = status;
  request.ctx.type = 'html';
  request.ctx.body = document;
}

/** The first value of a query parameter, trimmed; '' when absent. */
export function queryValue(request: ConsoleRequest, name: string): string {
  const value = request.ctx.query[name];
  const first = Array.isArray(value) ? value[0] : value;
  // A filter typed in a form is one line: control characters (which PostgreSQL refuses in text) are dropped.
  return typeof first === 'string' ? first.replace(/[\u0000-\u001f\u007f]/g, '').trim() : '';
}
