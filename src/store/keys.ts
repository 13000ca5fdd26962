// Signing keys (JWKS) and cookie-signing keys, stored in SQL with private parts sealed under the master
// key, so every node signs and verifies alike. Rotation is staged: a new key is published for verification
// first and signs only from its activation time, by when every node has it in its JWKS (the cluster
// follows the keys table); old keys stay published until retired.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { selfSignedX5c } from '../crypto/key-certificate.js';
import type { SealedBox } from '../crypto/sealed-box.js';
import { ConflictError, NotFoundError } from '../errors.js';
import type { Database } from './database.js';

export const SIGNING_ALGORITHMS = ['RS256', 'ES256'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

/** signing: the key tokens of its algorithm are signed with; pending: published, signs from activatesAt;
 *  verifying: an older key still published so tokens it signed verify; retired: gone from the JWKS. */
export type SigningKeyState = 'signing' | 'pending' | 'verifying' | 'retired';

export interface SigningKeyInfo {
  kid: string;
  alg: SigningAlgorithm;
  status: 'active' | 'retired';
  createdAt: number;
  retiredAt: number | null;
  /** When the key starts to sign (null: as soon as it is the newest of its algorithm). */
  activatesAt: number | null;
}

/** The JWKS a provider is built with at some moment, and a fingerprint that changes when it must. */
export interface ProviderKeys {
  keys: JWK[];
  fingerprint: string;
}

const SIGNING_PURPOSE = 'signing-key';
const COOKIE_PURPOSE = 'cookie-key';

interface SigningKeyRow {
  kid: string;
  alg: SigningAlgorithm;
  public_jwk: string;
  private_jwk_sealed: string;
  status: 'active' | 'retired';
  created_at: number;
  retired_at: number | null;
  activates_at: number | null;
}

function toInfo(row: SigningKeyRow): SigningKeyInfo {
  return {
    kid: row.kid,
    alg: row.alg,
    status: row.status,
    createdAt: Number(row.created_at),
    retiredAt: row.retired_at === null ? null : Number(row.retired_at),
    activatesAt: row.activates_at === null ? null : Number(row.activates_at),
  };
}

/**
 * The state of every key at `now`. Per algorithm the signing key is the newest active key whose
 * activation time has come; newer active keys are pending, older ones verifying.
 */
export function keyStates(keys: readonly SigningKeyInfo[], now: number): Map<string, SigningKeyState> {
  const states = new Map<string, SigningKeyState>();
  const newestFirst = [...keys].sort((a, b) => b.createdAt - a.createdAt);
  for (const alg of SIGNING_ALGORITHMS) {
    const active = newestFirst.filter((key) => key.alg === alg && key.status === 'active');
    const signer = active.find((key) => key.activatesAt === null || key.activatesAt <= now) ?? active.at(-1);
    for (const key of active) {
      if (key === signer) states.set(key.kid, 'signing');
      else states.set(key.kid, key.createdAt > signer!.createdAt ? 'pending' : 'verifying');
    }
  }
  for (const key of keys) if (key.status === 'retired') states.set(key.kid, 'retired');
  return states;
}

export class KeyRepository {
  constructor(
    private readonly db: Database,
    private readonly box: SealedBox,
  ) {}

  /** Creates one key per algorithm when none is active (first start); returns how many it created. */
  async ensureSigningKeys(): Promise<number> {
    let created = 0;
    for (const alg of SIGNING_ALGORITHMS) {
      const active = await this.db('signing_keys').where({ alg, status: 'active' }).first();
      if (!active) {
        await this.addSigningKey(alg);
        created += 1;
      }
    }
    return created;
  }

  /** Adds a new signing key for `alg`; it signs from `activatesAt` (null: at once), until then it is only published. */
  async addSigningKey(alg: SigningAlgorithm, activatesAt: number | null = null): Promise<SigningKeyInfo> {
    const { privateKey } = await generateKeyPair(alg, {
      extractable: true,
      ...(alg === 'RS256' ? { modulusLength: 3072 } : {}),
    });
    const jwk = await exportJWK(privateKey);
    const kid = `${alg.toLowerCase()}-${randomUUID()}`;
    const unsigned = { ...jwk, kid, alg, use: 'sig' };
    const privateJwk: JWK = { ...unsigned, x5c: await selfSignedX5c(unsigned) };
    const publicJwk = publicPart(privateJwk);
    const createdAt = Date.now();
    await this.db('signing_keys').insert({
      kid,
      alg,
      public_jwk: JSON.stringify(publicJwk),
      private_jwk_sealed: this.box.seal(JSON.stringify(privateJwk), SIGNING_PURPOSE),
      status: 'active',
      created_at: createdAt,
      activates_at: activatesAt,
    });
    return { kid, alg, status: 'active', createdAt, retiredAt: null, activatesAt };
  }

  /**
   * Rotates: a new key for every algorithm, published now and signing after `delaySeconds`; previous
   * keys stay in the JWKS for verification.
   */
  async rotateSigningKeys(delaySeconds: number, now = Date.now()): Promise<SigningKeyInfo[]> {
    const added: SigningKeyInfo[] = [];
    for (const alg of SIGNING_ALGORITHMS) added.push(await this.addSigningKey(alg, now + delaySeconds * 1000));
    return added;
  }

  /** Retires a key: it leaves the JWKS. The key signing for its algorithm right now cannot be retired. */
  async retireSigningKey(kid: string, now = Date.now()): Promise<void> {
    const keys = await this.listSigningKeys();
    const key = keys.find((candidate) => candidate.kid === kid);
    if (!key) throw new NotFoundError('ERR_KEY_NOT_FOUND', `no signing key with kid "${kid}"`);
    if (key.status === 'retired') return;
    if (keyStates(keys, now).get(kid) === 'signing') {
      throw new ConflictError(
        'ERR_KEY_IN_USE',
        `${kid} signs ${key.alg} tokens now: rotate first, and retire it once the new key signs`,
      );
    }
    await this.db('signing_keys').where({ kid }).update({ status: 'retired', retired_at: now });
  }

  async listSigningKeys(): Promise<SigningKeyInfo[]> {
    const rows = await this.db<SigningKeyRow>('signing_keys').orderBy('created_at', 'desc');
    return rows.map(toInfo);
  }

  /** The fingerprint of the JWKS oidc-provider should have at `now` (cheap: nothing is unsealed). */
  async providerKeysFingerprint(now = Date.now()): Promise<string> {
    return signingOrder(await this.listSigningKeys(), now).fingerprint;
  }

  /**
   * The private JWKS for oidc-provider at `now`: per algorithm the signing key first (oidc-provider signs
   * with the first key that fits), then the pending and older keys, which are published for verification.
   */
  async providerKeys(now = Date.now()): Promise<ProviderKeys> {
    const rows = await this.db<SigningKeyRow>('signing_keys').where({ status: 'active' });
    const { kids, fingerprint } = signingOrder(rows.map(toInfo), now);
    const byKid = new Map(rows.map((row) => [row.kid, row]));
    const keys = await Promise.all(
      kids.map((kid) =>
        this.withCertificate(JSON.parse(this.box.openText(byKid.get(kid)!.private_jwk_sealed, SIGNING_PURPOSE)) as JWK),
      ),
    );
    return { keys, fingerprint };
  }

  /** Keys made before they were given a certificate (x5c) get one, stored once. */
  private async withCertificate(key: JWK): Promise<JWK> {
    if (key.x5c?.length) return key;
    const withX5c: JWK = { ...key, x5c: await selfSignedX5c(key as JWK & { kid: string; alg: string }) };
    await this.db('signing_keys')
      .where({ kid: key.kid })
      .update({
        public_jwk: JSON.stringify(publicPart(withX5c)),
        private_jwk_sealed: this.box.seal(JSON.stringify(withX5c), SIGNING_PURPOSE),
      });
    return withX5c;
  }

  /** Cookie-signing keys, newest first; creates the first one when there is none. */
  async cookieKeys(): Promise<string[]> {
    let rows = await this.db('cookie_keys').orderBy('id', 'desc').select<{ key_sealed: string }[]>('key_sealed');
    if (rows.length === 0) {
      await this.rotateCookieKeys();
      rows = await this.db('cookie_keys').orderBy('id', 'desc').select<{ key_sealed: string }[]>('key_sealed');
    }
    return rows.map((row) => this.box.openText(row.key_sealed, COOKIE_PURPOSE));
  }

  /** Prepends a new cookie key (older cookies still verify) and keeps at most `keep` keys. */
  async rotateCookieKeys(keep = 3): Promise<void> {
    await this.db('cookie_keys').insert({
      key_sealed: this.box.seal(randomBytes(32).toString('base64url'), COOKIE_PURPOSE),
      created_at: Date.now(),
    });
    const stale = await this.db('cookie_keys').orderBy('id', 'desc').offset(keep).select<{ id: number }[]>('id');
    if (stale.length)
      await this.db('cookie_keys')
        .whereIn(
          'id',
          stale.map((row) => row.id),
        )
        .delete();
  }
}

/** Active kids in the order oidc-provider needs them (signing keys first, newest first), and its fingerprint. */
function signingOrder(keys: readonly SigningKeyInfo[], now: number): { kids: string[]; fingerprint: string } {
  const states = keyStates(keys, now);
  const rank = (key: SigningKeyInfo) => (states.get(key.kid) === 'signing' ? 0 : 1);
  const ordered = keys
    .filter((key) => key.status === 'active')
    .sort((a, b) => rank(a) - rank(b) || b.createdAt - a.createdAt);
  const fingerprint = createHash('sha256')
    .update(ordered.map((key) => `${key.kid}:${states.get(key.kid)}`).join(','))
    .digest('base64url')
    .slice(0, 22);
  return { kids: ordered.map((key) => key.kid), fingerprint };
}

function publicPart(jwk: JWK): JWK {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...rest } = jwk;
  return rest;
}
