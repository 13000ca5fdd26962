// Forwarded headers (X-Forwarded-For/-Proto/-Host) are believed only from configured proxy CIDRs.
// From anyone else they are removed before Koa or oidc-provider can read them, and the attempt is logged.
// From a trusted proxy, X-Forwarded-For is reduced to the one address the proxy itself saw.
import type { Middleware } from 'koa';
import { compileTrustedProxies } from '../geo/country.js';
import type { Logger } from '../log.js';
import { anyCidrContains, parseIp } from '../policies/network.js';

const FORWARDED = ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'forwarded'];

/** Builds a matcher over CIDRs (validated by the config schema); IPv4-mapped IPv6 peers count as IPv4. */
export function cidrMatcher(cidrs: readonly string[]): (address: string) => boolean {
  const compiled = compileTrustedProxies(cidrs);
  return (address: string) => {
    const ip = parseIp(address);
    return ip !== null && anyCidrContains(compiled, ip);
  };
}

export function forwardedHeaders(trustedProxies: readonly string[], log: Logger): Middleware {
  const trusted = cidrMatcher(trustedProxies);
  return async (ctx, next) => {
    const peer = ctx.req.socket.remoteAddress ?? '';
    if (!trusted(peer)) {
      const present = FORWARDED.filter((name) => ctx.req.headers[name] !== undefined);
      if (present.length) {
        log.warn({ peer, headers: present }, 'ignoring forwarded headers from a peer that is not a trusted proxy');
        for (const name of present) delete ctx.req.headers[name];
      }
    } else {
      const forwardedFor = ctx.req.headers['x-forwarded-for'];
      if (forwardedFor !== undefined) ctx.req.headers['x-forwarded-for'] = clientAddress(forwardedFor, trusted);
    }
    await next();
  };
}

/**
 * The client's address from X-Forwarded-For: the rightmost entry that is not one of our proxies.
 * Proxies append, so everything left of that entry came from the client and may be forged; Koa and
 * oidc-provider read the leftmost entry, so the header is reduced to this one address.
 */
export function clientAddress(header: string | string[], trusted: (address: string) => boolean): string {
  const entries = (Array.isArray(header) ? header.join(',') : header)
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  for (let i = entries.length - 1; i >= 0; i -= 1) {
    if (!trusted(entries[i]!)) return entries[i]!;
  }
  return entries[0] ?? '';
}
