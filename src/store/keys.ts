// Signing keys (JWKS) and cookie-signing keys, stored in SQL with private parts sealed under the master
// key, so every node signs and verifies alike. Rotation prepends a new key; old ones stay until retired.
import { randomBytes, randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import type { SealedBox } from '../crypto/sealed-box.js';
import { ConflictError, NotFoundError } from '../errors.js';
import type { Database } from './database.js';

export const SIGNING_ALGORITHMS = ['RS256', 'ES256'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

export interface SigningKeyInfo {
  kid: string;
  alg: SigningAlgorithm;
  status: 'active' | 'retired';
  createdAt: number;
  retiredAt: number | null;
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

  /** Adds a new signing key for `alg`; it becomes the one used for signing (newest first). */
  async addSigningKey(alg: SigningAlgorithm): Promise<SigningKeyInfo> {
    const { privateKey } = await generateKeyPair(alg, {
      extractable: true,
      ...(alg === 'RS256' ? { modulusLength: 3072 } : {}),
    });
    const jwk = await exportJWK(privateKey);
    const kid = `${alg.toLowerCase()}-${randomUUID()}`;
    const privateJwk: JWK = { ...jwk, kid, alg, use: 'sig' };
    const publicJwk = publicPart(privateJwk);
    const createdAt = Date.now();
    await this.db('signing_keys').insert({
      kid,
      alg,
      public_jwk: JSON.stringify(publicJwk),
      private_jwk_sealed: this.box.seal(JSON.stringify(privateJwk), SIGNING_PURPOSE),
      status: 'active',
      created_at: createdAt,
    });
    return { kid, alg, status: 'active', createdAt, retiredAt: null };
  }

  /** Rotates: a new key for every algorithm; previous keys stay in the JWKS for verification. */
  async rotateSigningKeys(): Promise<SigningKeyInfo[]> {
    const added: SigningKeyInfo[] = [];
    for (const alg of SIGNING_ALGORITHMS) added.push(await this.addSigningKey(alg));
    return added;
  }

  /** Retires a key: it leaves the JWKS. The newest key of an algorithm cannot be retired. */
  async retireSigningKey(kid: string): Promise<void> {
    const row = await this.db<SigningKeyRow>('signing_keys').where({ kid }).first();
    if (!row) throw new NotFoundError('ERR_KEY_NOT_FOUND', `no signing key with kid "${kid}"`);
    if (row.status === 'retired') return;
    const newest = await this.db<SigningKeyRow>('signing_keys')
      .where({ alg: row.alg, status: 'active' })
      .orderBy('created_at', 'desc')
      .first();
    if (newest?.kid === kid) {
      throw new ConflictError('ERR_KEY_IN_USE', `${kid} is the newest ${row.alg} key and signs tokens: rotate first`);
    }
    await this.db('signing_keys').where({ kid }).update({ status: 'retired', retired_at: Date.now() });
  }

  async listSigningKeys(): Promise<SigningKeyInfo[]> {
    const rows = await this.db<SigningKeyRow>('signing_keys').orderBy('created_at', 'desc');
    return rows.map((row) => ({
      kid: row.kid,
      alg: row.alg,
      status: row.status,
      createdAt: Number(row.created_at),
      retiredAt: row.retired_at === null ? null : Number(row.retired_at),
    }));
  }

  /** Private JWKS for oidc-provider: active keys, newest first (oidc-provider signs with the first per alg). */
  async privateJwks(): Promise<{ keys: JWK[] }> {
    const rows = await this.db<SigningKeyRow>('signing_keys').where({ status: 'active' }).orderBy('created_at', 'desc');
    return { keys: rows.map((row) => JSON.parse(this.box.openText(row.private_jwk_sealed, SIGNING_PURPOSE)) as JWK) };
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

function publicPart(jwk: JWK): JWK {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...rest } = jwk;
  return rest;
}
