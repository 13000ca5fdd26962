// Forwarded headers (X-Forwarded-For/-Proto/-Host) are believed only from configured proxy CIDRs.
// From anyone else they are removed before Koa or oidc-provider can read them, and the attempt is logged.
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
    }
    await next();
  };
}
