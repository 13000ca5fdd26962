// Microsoft Entra's id_token_hint. An external authentication method request names the user with an
// id_token Entra signed (not one Latchkey issued), so oidc-provider's own check of the parameter must not
// see it: Latchkey verifies it here, against the configured tenant. Entra issues the hint already expired
// (it must not be usable as a token), so `exp` is not checked; `iat` bounds its age instead.
import { readFileSync, statSync } from 'node:fs';
import {
  compactVerify,
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  errors as joseErrors,
  type JSONWebKeySet,
  type JWTPayload,
} from 'jose';
import { entraIssuer, entraJwksUri, type EntraSettings } from './settings.js';

/** How old a hint may be: Entra abandons a sign-in about five minutes after sending it. */
export const HINT_MAX_AGE_SECONDS = 600;
const CLOCK_SKEW_SECONDS = 60;

/** What a verified hint says about the user. */
export interface EntraHint {
  /** Entra's subject for this integration: the answer's `sub` must equal it. */
  sub: string;
  tid: string;
  oid?: string;
  preferredUsername?: string;
  email?: string;
  upn?: string;
  name?: string;
}

/** Why a hint was refused: `invalid` (a bad or foreign hint) or `unavailable` (the tenant's keys could not be read). */
export class EntraHintError extends Error {
  constructor(
    readonly kind: 'invalid' | 'unavailable',
    message: string,
  ) {
    super(message);
    this.name = 'EntraHintError';
  }
}

type KeyResolver = ReturnType<typeof createLocalJWKSet>;

/** A hint's claims without verification: only for a hint verified when its request arrived. */
export function decodeVerifiedHint(token: string): EntraHint {
  return hintOf(decodeJwt(token));
}

/**
 * Verifies hints against each tenant's signing keys. Keys are fetched from Microsoft (cached, refetched
 * when a hint names a kid not seen yet) or read from a file.
 */
export class EntraHintVerifier {
  private readonly resolvers = new Map<string, KeyResolver>();

  /** Verifies `token` as a hint for the factor client `clientId` (audiences: its id and Entra's app id). */
  async verify(token: string, entra: EntraSettings, audiences: readonly string[], now: number): Promise<EntraHint> {
    let header: ReturnType<typeof decodeProtectedHeader>;
    let claims: JWTPayload;
    try {
      header = decodeProtectedHeader(token);
      claims = decodeJwt(token);
    } catch {
      throw new EntraHintError('invalid', 'id_token_hint is not a JWT');
    }
    if (header.alg !== 'RS256') {
      throw new EntraHintError('invalid', `id_token_hint must be signed with RS256, not ${String(header.alg)}`);
    }
    const issuer = entraIssuer(entra);
    if (claims.iss !== issuer) {
      throw new EntraHintError('invalid', `id_token_hint was issued by ${String(claims.iss)}, not ${issuer}`);
    }
    const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!aud.some((value) => typeof value === 'string' && audiences.includes(value))) {
      throw new EntraHintError('invalid', `id_token_hint is for ${aud.join(', ')}, not this application`);
    }
    if (typeof claims.iat !== 'number') throw new EntraHintError('invalid', 'id_token_hint has no iat');
    if (claims.iat > now + CLOCK_SKEW_SECONDS)
      throw new EntraHintError('invalid', 'id_token_hint is issued in the future');
    if (claims.iat < now - HINT_MAX_AGE_SECONDS) {
      throw new EntraHintError('invalid', `id_token_hint is older than ${HINT_MAX_AGE_SECONDS / 60} minutes`);
    }
    await this.verifySignature(token, entra);
    const hint = hintOf(claims);
    if (hint.tid !== entra.tenantId) {
      throw new EntraHintError('invalid', `id_token_hint is for tenant ${hint.tid || '(none)'}, not ${entra.tenantId}`);
    }
    return hint;
  }

  private async verifySignature(token: string, entra: EntraSettings): Promise<void> {
    try {
      await compactVerify(token, this.resolver(entra), { algorithms: ['RS256'] });
    } catch (error) {
      if (error instanceof EntraHintError) throw error;
      if (error instanceof joseErrors.JWSSignatureVerificationFailed) {
        throw new EntraHintError('invalid', 'the signature of id_token_hint does not verify with the tenant keys');
      }
      if (error instanceof joseErrors.JWKSNoMatchingKey || error instanceof joseErrors.JWKSMultipleMatchingKeys) {
        throw new EntraHintError('invalid', 'id_token_hint is signed with a key the tenant does not publish');
      }
      if (
        error instanceof joseErrors.JWSInvalid ||
        error instanceof joseErrors.JOSEAlgNotAllowed ||
        error instanceof joseErrors.JOSENotSupported
      ) {
        throw new EntraHintError('invalid', `id_token_hint: ${error.message}`);
      }
      // Anything else is reading the keys: a timeout, Microsoft unreachable, a key set that is not one.
      throw new EntraHintError(
        'unavailable',
        `the tenant's signing keys could not be read: ${(error as Error).message}`,
      );
    }
  }

  private resolver(entra: EntraSettings): KeyResolver {
    const source = entra.jwksFile ? `file:${entra.jwksFile}` : entraJwksUri(entra);
    let resolver = this.resolvers.get(source);
    if (!resolver) {
      resolver = entra.jwksFile
        ? localKeys(entra.jwksFile)
        : (createRemoteJWKSet(new URL(source), {
            timeoutDuration: 5000,
            cooldownDuration: 30_000,
            cacheMaxAge: 24 * 3600 * 1000,
          }) as unknown as KeyResolver);
      this.resolvers.set(source, resolver);
    }
    return resolver;
  }
}

/**
 * A JWKS file, read when first needed and again whenever it changes (an operator replacing it after the
 * tenant rotated its keys); an unreadable file fails each hint (not the whole server).
 */
function localKeys(file: string): KeyResolver {
  let loaded: { keys: KeyResolver; mtimeMs: number } | undefined;
  return ((...args: Parameters<KeyResolver>) => {
    try {
      const { mtimeMs } = statSync(file);
      if (!loaded || loaded.mtimeMs !== mtimeMs) {
        loaded = { keys: createLocalJWKSet(JSON.parse(readFileSync(file, 'utf8')) as JSONWebKeySet), mtimeMs };
      }
    } catch (error) {
      throw new EntraHintError(
        'unavailable',
        `the tenant key file ${file} cannot be read: ${(error as Error).message}`,
      );
    }
    return loaded.keys(...args);
  }) as KeyResolver;
}

function hintOf(claims: JWTPayload): EntraHint {
  const text = (name: string) =>
    typeof claims[name] === 'string' && claims[name] ? (claims[name] as string) : undefined;
  const sub = text('sub');
  if (!sub) throw new EntraHintError('invalid', 'id_token_hint has no sub');
  return {
    sub,
    tid: text('tid') ?? '',
    oid: text('oid'),
    preferredUsername: text('preferred_username'),
    email: text('email'),
    upn: text('upn'),
    name: text('name'),
  };
}
