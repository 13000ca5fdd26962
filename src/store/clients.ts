// OIDC clients (relying parties) in SQL. oidc-provider reads them through the Client adapter; their
// secrets are sealed at rest under the master key and shown once, when created.
import { randomBytes } from 'node:crypto';
import type { SealedBox } from '../crypto/sealed-box.js';
import { ConflictError, InvalidInputError, NotFoundError } from '../errors.js';
import { parseFactorSettings, serializeFactorSettings, type FactorSettings } from '../federation/settings.js';
import type { Database } from './database.js';
import { uniquely } from './constraints.js';
import { RevisionCache, revisionOf, type RevisionCacheOptions } from './revision-cache.js';

/**
 * first_party: ours, no consent screen; third_party: consent asked; factor: a federating IdP (Okta); admin: an
 * admin API client (client credentials only, the only kind the admin API scopes are issued to).
 */
export const CLIENT_KINDS = ['first_party', 'third_party', 'factor', 'admin'] as const;
export type ClientKind = (typeof CLIENT_KINDS)[number];

/**
 * The metadata property that tells oidc-provider a client's stored kind (findForProvider sets it; the
 * provider decides from it which scopes the client may be issued). Never stored: the kind column is the truth.
 */
export const CLIENT_KIND_METADATA = 'latchkey_kind';

/**
 * The metadata property that tells oidc-provider the revision of the client's row (its updated_at), which
 * admin clients' tokens carry (provider.ts) so that a rotated secret ends the tokens issued before it.
 * Never stored, like the kind.
 */
export const CLIENT_REVISION_METADATA = 'latchkey_revision';

export type ClientMetadata = Record<string, unknown> & { client_id: string };

export interface StoredClient {
  clientId: string;
  name: string;
  kind: ClientKind;
  metadata: ClientMetadata;
  hasSecret: boolean;
  /** What a factor client is set up to do (kind `factor` only; null for the others). */
  factor: FactorSettings | null;
  createdAt: number;
  /** Last change of the row (for an admin client: its secret's rotation, which ends older tokens). */
  updatedAt: number;
}

const SECRET_PURPOSE = 'client-secret';

interface ClientRow {
  client_id: string;
  name: string;
  kind: ClientKind;
  metadata: string;
  secret_sealed: string | null;
  factor: string | null;
  created_at: number;
  updated_at: number;
}

/** The client rows this node keeps between requests; they follow the `clients` revision. */
export function clientCache(db: Database, options: RevisionCacheOptions): RevisionCache<ClientRow | undefined> {
  return new RevisionCache(revisionOf(db, 'clients'), options);
}

export class ClientRepository {
  constructor(
    private readonly db: Database,
    private readonly box: SealedBox,
    /** Rows kept between requests (the secret stays sealed in it); none: every lookup reads the table. */
    private readonly cache?: RevisionCache<ClientRow | undefined>,
  ) {}

  /** The row of `clientId`, from the cache while the table is unchanged. */
  private row(clientId: string): Promise<ClientRow | undefined> {
    const load = () => this.db<ClientRow>('clients').where({ client_id: clientId }).first();
    return this.cache ? this.cache.get(clientId, load) : load();
  }

  /** Awaits a write, then forgets the cached rows (the triggers tell the other nodes). */
  private async written<T>(write: PromiseLike<T>): Promise<T> {
    try {
      return await write;
    } finally {
      this.cache?.invalidate();
    }
  }

  /**
   * Generates a client id that is hard to guess and safe in URLs. It never starts with '-' or '_': an id
   * starting with '-' reads as an option to every CLI command that takes one (`clients setup -Xy…`).
   */
  static newClientId(): string {
    for (;;) {
      const id = randomBytes(12).toString('base64url');
      if (/^[A-Za-z0-9]/.test(id)) return id;
    }
  }

  /** Generates a client secret with 256 bits of entropy. */
  static newClientSecret(): string {
    return randomBytes(32).toString('base64url');
  }

  /** Stores a client whose metadata oidc-provider has already validated; the secret is sealed. */
  async add(input: {
    name: string;
    kind: ClientKind;
    metadata: ClientMetadata;
    secret: string | null;
    factor?: FactorSettings | null;
  }): Promise<void> {
    if (await this.db('clients').where({ client_id: input.metadata.client_id }).first()) {
      throw new ConflictError('ERR_CLIENT_EXISTS', `a client with id "${input.metadata.client_id}" already exists`);
    }
    const {
      client_secret: _secret,
      [CLIENT_KIND_METADATA]: _kind,
      [CLIENT_REVISION_METADATA]: _revision,
      ...metadata
    } = input.metadata;
    const now = Date.now();
    await uniquely(
      this.written(
        this.db('clients').insert({
          client_id: input.metadata.client_id,
          name: input.name,
          kind: input.kind,
          metadata: JSON.stringify(metadata),
          secret_sealed: input.secret ? this.box.seal(input.secret, SECRET_PURPOSE) : null,
          factor: input.factor ? serializeFactorSettings(input.factor) : null,
          created_at: now,
          updated_at: now,
        }),
      ),
      () => new ConflictError('ERR_CLIENT_EXISTS', `a client with id "${input.metadata.client_id}" already exists`),
    );
  }

  /** Metadata as oidc-provider wants it, with the secret unsealed and the kind added; undefined when unknown. */
  async findForProvider(clientId: string): Promise<ClientMetadata | undefined> {
    const row = await this.row(clientId);
    if (!row) return undefined;
    const metadata = JSON.parse(row.metadata) as ClientMetadata;
    if (row.secret_sealed) metadata.client_secret = this.box.openText(row.secret_sealed, SECRET_PURPOSE);
    metadata[CLIENT_KIND_METADATA] = row.kind;
    metadata[CLIENT_REVISION_METADATA] = String(row.updated_at);
    return metadata;
  }

  async find(clientId: string): Promise<StoredClient | undefined> {
    const row = await this.row(clientId);
    return row ? toStoredClient(row) : undefined;
  }

  async require(clientId: string): Promise<StoredClient> {
    const client = await this.find(clientId);
    if (!client) throw new NotFoundError('ERR_CLIENT_NOT_FOUND', `no client with id "${clientId}"`);
    return client;
  }

  async list(): Promise<StoredClient[]> {
    const rows = await this.db<ClientRow>('clients').orderBy('name');
    return rows.map(toStoredClient);
  }

  /** Replaces what factor client `clientId` is set up to do. */
  async setFactor(clientId: string, factor: FactorSettings): Promise<void> {
    const updated = await this.written(
      this.db('clients')
        .where({ client_id: clientId, kind: 'factor' })
        .update({ factor: serializeFactorSettings(factor), updated_at: Date.now() }),
    );
    if (updated === 0) throw new NotFoundError('ERR_CLIENT_NOT_FOUND', `no factor client with id "${clientId}"`);
  }

  /**
   * Gives a client that authenticates with a secret a new one and returns it (shown once); the old secret is
   * refused from the next request on, on every node (the write moves the `clients` revision).
   */
  async rotateSecret(clientId: string): Promise<string> {
    const row = await this.db<ClientRow>('clients').where({ client_id: clientId }).first();
    if (!row) throw new NotFoundError('ERR_CLIENT_NOT_FOUND', `no client with id "${clientId}"`);
    if (row.secret_sealed === null) {
      throw new InvalidInputError(
        'ERR_CLIENT_NO_SECRET',
        `client "${clientId}" has no secret to rotate (it is public or authenticates with private_key_jwt)`,
      );
    }
    const secret = ClientRepository.newClientSecret();
    // Replaces exactly the secret read above (each sealed value is unique): of parallel rotations one wins,
    // and the others are told so rather than handed a secret that a later rotation already replaced.
    const updated = await this.written(
      this.db('clients')
        .where({ client_id: clientId, secret_sealed: row.secret_sealed })
        .update({
          secret_sealed: this.box.seal(secret, SECRET_PURPOSE),
          updated_at: Math.max(Date.now(), Number(row.updated_at) + 1),
        }),
    );
    if (updated === 0) {
      throw new ConflictError(
        'ERR_CLIENT_CHANGED',
        `client "${clientId}" was changed or removed while its secret was rotated: look it up and try again`,
      );
    }
    return secret;
  }

  async remove(clientId: string): Promise<void> {
    const deleted = await this.written(this.db('clients').where({ client_id: clientId }).delete());
    if (deleted === 0) throw new NotFoundError('ERR_CLIENT_NOT_FOUND', `no client with id "${clientId}"`);
  }
}

function toStoredClient(row: ClientRow): StoredClient {
  return {
    clientId: row.client_id,
    name: row.name,
    kind: row.kind,
    metadata: JSON.parse(row.metadata) as ClientMetadata,
    hasSecret: row.secret_sealed !== null,
    factor: row.factor === null ? null : parseFactorSettings(row.factor),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}
