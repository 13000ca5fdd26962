// Tokens issued and refused, from oidc-provider's token endpoint events. A provider is rebuilt when the
// signing keys change, so each new one is followed the same way.
import type { KoaContextWithOIDC, Provider } from 'oidc-provider';
import { codeLabel, type LatchkeyMetrics } from './registry.js';

/** Grant types a refusal may be labelled with; anything else a client sends is "other". */
const GRANT_TYPES = new Set(['authorization_code', 'refresh_token', 'client_credentials']);
const TOKENS = ['access_token', 'refresh_token', 'id_token'] as const;

function grantType(ctx: KoaContextWithOIDC): string {
  const value = (ctx.oidc?.params as { grant_type?: unknown } | undefined)?.grant_type;
  return typeof value === 'string' && GRANT_TYPES.has(value) ? value : 'other';
}

/** Counts the tokens each successful token request issued, and each refused request by its OAuth error. */
export function countTokens(provider: Provider, metrics: LatchkeyMetrics): void {
  provider.on('grant.success', (ctx: KoaContextWithOIDC) => {
    const body = (ctx.body ?? {}) as Record<string, unknown>;
    const grant_type = grantType(ctx);
    for (const token of TOKENS) if (body[token]) metrics.tokensIssued.inc({ grant_type, token });
  });
  provider.on('grant.error', (ctx: KoaContextWithOIDC, error: { error?: unknown }) => {
    metrics.tokenErrors.inc({ grant_type: grantType(ctx), error: codeLabel(error?.error, /^[a-z_]{1,40}$/) });
  });
}
