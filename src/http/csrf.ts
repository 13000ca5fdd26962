// CSRF tokens for interaction forms: an HMAC of the interaction uid under the current cookie key. The
// uid is bound to the browser by oidc-provider's interaction cookie, so a token from another browser's
// interaction (or none) is refused.
import { createHmac, timingSafeEqual } from 'node:crypto';

export class CsrfTokens {
  constructor(private readonly keys: readonly string[]) {}

  /** The token to embed in forms of interaction `uid`. */
  issue(uid: string): string {
    return this.mac(this.keys[0]!, uid);
  }

  /** True when `token` was issued for `uid` under any current key (keys rotate by prepending). */
  verify(uid: string, token: unknown): boolean {
    if (typeof token !== 'string' || token.length === 0) return false;
    const given = Buffer.from(token);
    return this.keys.some((key) => {
      const expected = Buffer.from(this.mac(key, uid));
      return expected.length === given.length && timingSafeEqual(expected, given);
    });
  }

  private mac(key: string, uid: string): string {
    return createHmac('sha256', key).update(`csrf:${uid}`).digest('base64url');
  }
}
