// oidc-provider builds discovery and redirect URLs from the request's Host: a request naming another
// host would get discovery pointing at that host. Such requests are refused with 421.
import type { Middleware } from 'koa';
import type { Logger } from '../log.js';

/** Host header values accepted: the issuer's host (with and without default port) and aliases. */
export function allowedHosts(issuer: string, aliases: readonly string[]): Set<string> {
  const url = new URL(issuer);
  const hosts = new Set<string>([url.host.toLowerCase()]);
  const defaultPort = url.protocol === 'https:' ? '443' : '80';
  if (!url.port) hosts.add(`${url.hostname}:${defaultPort}`.toLowerCase());
  for (const alias of aliases) hosts.add(alias.toLowerCase());
  return hosts;
}

export function hostCheck(hosts: Set<string>, log: Logger, exempt: (path: string) => boolean): Middleware {
  return async (ctx, next) => {
    // An absolute-form target ("GET https://evil.example/...") would make Koa and oidc-provider build
    // URLs from it whatever the Host header says: only origin-form paths are served.
    if (!ctx.req.url?.startsWith('/')) {
      log.warn({ target: ctx.req.url?.slice(0, 200), ip: ctx.ip }, 'refused a request whose target is not a path');
      ctx.status = 400;
      ctx.type = 'text/plain';
      ctx.body = 'Bad Request: the request target must be a path.\n';
      return;
    }
    const host = (ctx.host || '').toLowerCase();
    if (!hosts.has(host) && !exempt(ctx.path)) {
      log.warn({ host, path: ctx.path, ip: ctx.ip }, 'refused request for an unknown host');
      ctx.status = 421;
      ctx.type = 'text/plain';
      ctx.body = 'Misdirected Request: this server does not answer for that host name.\n';
      return;
    }
    await next();
  };
}
