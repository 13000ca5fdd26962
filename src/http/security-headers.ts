// Headers every response carries: HSTS, no sniffing, no framing, a strict CSP for our pages. The CSP's
// form-action must allow the relying party's redirect target, because browsers apply it to the redirect
// that follows a form post; pages that finish an interaction add that origin.
import type { Middleware, Context } from 'koa';

const BASE_CSP = [
  "default-src 'none'",
  "style-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "frame-ancestors 'none'",
];

/** Sets the CSP for an HTML page, allowing form posts to us and to `formTargets` origins. */
export function setPageCsp(ctx: Context, formTargets: readonly string[] = [], scriptSelf = false): void {
  const formAction = ["form-action 'self'", ...formTargets].join(' ');
  const script = scriptSelf ? ["script-src 'self'", "connect-src 'self'"] : [];
  ctx.set('Content-Security-Policy', [...BASE_CSP, ...script, formAction].join('; '));
}

export function securityHeaders(): Middleware {
  return async (ctx, next) => {
    ctx.set('Strict-Transport-Security', 'max-age=31536000');
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('X-Frame-Options', 'DENY');
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.set('Cross-Origin-Opener-Policy', 'same-origin');
    ctx.set('Content-Security-Policy', [...BASE_CSP, "form-action 'self'"].join('; '));
    await next();
  };
}
