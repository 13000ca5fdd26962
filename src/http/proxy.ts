// Forwarded headers (X-Forwarded-For/-Proto/-Host) are believed only from configured proxy CIDRs.
// From anyone else they are removed before Koa or oidc-provider can read them, and the attempt is logged.
import { BlockList, isIP } from 'node:net';
import type { Middleware } from 'koa';
import type { Logger } from '../log.js';

const FORWARDED = ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'forwarded'];

/** Builds a matcher over CIDRs (validated by the config schema). */
export function cidrMatcher(cidrs: readonly string[]): (address: string) => boolean {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [address = '', prefix] = cidr.split('/');
    const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(prefix), type);
  }
  return (address: string) => {
    const plain = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
    const family = isIP(plain);
    return family !== 0 && list.check(plain, family === 6 ? 'ipv6' : 'ipv4');
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
