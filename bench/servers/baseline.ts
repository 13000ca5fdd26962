// The reference points, each a server process of its own (started by bench/lib/baselines.ts with
// `node --import tsx`, NODE_ENV=production): a bare oidc-provider on HTTPS with the same certificate and
// lifetimes as Latchkey, and an interaction that signs a fixed account in at once and grants what is
// asked. BENCH_BASELINE_STORE chooses its storage:
//   memory   oidc-provider's own in-memory adapter and static clients: what the whole stack costs
//   latchkey Latchkey's own adapter (SQL or Redis, as the LATCHKEY_* variables say) and clients table,
//            opened by the same openServices as the server: what Latchkey adds beyond storage
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { Provider, type Configuration, type Interaction, type InteractionResults } from 'oidc-provider';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log.js';
import { protocolAdapter } from '../../src/oidc/adapter.js';
import { openServices } from '../../src/server/services.js';

export const BASELINE_ACCOUNT = 'bench';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.log.level);
  const store = process.env.BENCH_BASELINE_STORE;
  const services = store === 'latchkey' ? await openServices(config, log, process.env, { deviceTrust: false }) : null;
  if (!services && store !== 'memory') throw new Error(`BENCH_BASELINE_STORE must be memory or latchkey`);
  const t = config.tokens;
  const provider = new Provider(config.issuer, {
    ...(services
      ? { adapter: (name: string) => protocolAdapter(services.oidcStore.adapterFor(name)) }
      : { clients: JSON.parse(process.env.BENCH_CLIENTS ?? '[]') as Configuration['clients'] }),
    jwks: { keys: await signingKeys() } as Configuration['jwks'],
    cookies: { keys: ['bench-baseline-cookie-key-0123456789abcdef'] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'preferred_username'] },
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: false }, clientCredentials: { enabled: true } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    // config/default.yaml's lifetimes, so both systems keep artifacts equally long.
    ttl: {
      AccessToken: t.access_token_ttl_seconds,
      AuthorizationCode: t.authorization_code_ttl_seconds,
      ClientCredentials: t.client_credentials_ttl_seconds,
      IdToken: t.id_token_ttl_seconds,
      Interaction: config.security.interaction_ttl_seconds,
      Session: t.session_ttl_seconds,
      Grant: t.grant_ttl_seconds,
      RefreshToken: t.refresh_token_ttl_seconds,
    },
    findAccount: (_ctx, sub) => ({
      accountId: sub,
      claims: () => ({
        sub,
        email: 'bench@example.com',
        email_verified: true,
        preferred_username: 'bench@example.com',
      }),
    }),
  });
  provider.on('server_error', (_ctx, error) => log.error({ err: error }, 'baseline server_error'));
  provider.use(async (ctx, next) => {
    if (!/^\/interaction\/[^/]+$/.test(ctx.path)) return next();
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const result: InteractionResults =
      details.prompt.name === 'login'
        ? { login: { accountId: BASELINE_ACCOUNT } }
        : { consent: { grantId: await grantAll(provider, details) } };
    ctx.redirect(await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false }));
  });
  const server = https.createServer({
    cert: readFileSync(process.env.BENCH_TLS_CERT_FILE!, 'utf8'),
    key: readFileSync(process.env.BENCH_TLS_KEY_FILE!, 'utf8'),
    minVersion: 'TLSv1.2',
  });
  server.on('request', provider.callback());
  server.listen(config.server.port, config.server.host, () =>
    log.info({ issuer: config.issuer, store }, 'baseline is listening'),
  );
  process.on('SIGTERM', () => {
    server.close();
    server.closeAllConnections();
    void (services?.close() ?? Promise.resolve()).then(() => process.exit(0));
  });
}

/** Grants everything the consent prompt reports missing (the auto-consent of a first-party client). */
async function grantAll(provider: Provider, details: Interaction): Promise<string> {
  const accountId = details.session?.accountId;
  if (!accountId) throw new Error('baseline consent without a signed-in account');
  const existing = details.grantId ? await provider.Grant.find(details.grantId) : undefined;
  const grant = existing ?? new provider.Grant({ accountId, clientId: String(details.params.client_id) });
  const missing = details.prompt.details as {
    missingOIDCScope?: string[];
    missingOIDCClaims?: string[];
    missingResourceScopes?: Record<string, string[]>;
  };
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
    grant.addResourceScope(resource, scopes.join(' '));
  }
  return grant.save();
}

/** An RS256 and an ES256 signing key, as Latchkey publishes. */
async function signingKeys(): Promise<JWK[]> {
  const keys: JWK[] = [];
  for (const alg of ['RS256', 'ES256'] as const) {
    const { privateKey } = await generateKeyPair(alg, { extractable: true });
    keys.push({ ...(await exportJWK(privateKey)), alg, use: 'sig', kid: `baseline-${alg.toLowerCase()}` });
  }
  return keys;
}

main().catch((error: unknown) => {
  process.stderr.write(`baseline: failed to start: ${(error as Error)?.stack ?? error}\n`);
  process.exit(1);
});
