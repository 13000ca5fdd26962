// oidc-provider artifacts in SQL (the embedded default): one table keyed by (model, id) with the
// lookups oidc-provider needs. Expired rows are invisible to reads and purged periodically. Consuming is
// one conditional UPDATE: of several parallel redemptions exactly one changes the row; the others revoke
// the grant and fail as a replay does.
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { ClientRepository } from './clients.js';
import type { Database } from './database.js';
import { ClientAdapter, expiryFrom, ConsumeConflict, storableIdsOnly, type OidcStore } from './oidc-adapter.js';

interface PayloadRow {
  model: string;
  id: string;
  uid: string | null;
  user_code: string | null;
  expires_at: number | null;
  payload: string;
  consumed_at: number | null;
}

function fromRow(row: PayloadRow | undefined): AdapterPayload | undefined {
  if (!row) return undefined;
  const payload = JSON.parse(row.payload) as AdapterPayload;
  return row.consumed_at === null ? payload : { ...payload, consumed: Math.floor(Number(row.consumed_at) / 1000) };
}

class SqlAdapter implements Adapter {
  constructor(
    private readonly db: Database,
    private readonly model: string,
  ) {}

  private live() {
    const now = Date.now();
    return this.db<PayloadRow>('oidc_payloads')
      .where('model', this.model)
      .andWhere((q) => q.whereNull('expires_at').orWhere('expires_at', '>', now));
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    const row = {
      model: this.model,
      id,
      payload: JSON.stringify(payload),
      grant_id: payload.grantId ?? null,
      user_code: payload.userCode ?? null,
      uid: payload.uid ?? null,
      account_id: payload.accountId ?? null,
      expires_at: expiryFrom(expiresIn),
      consumed_at: null,
    };
    await this.db('oidc_payloads').insert(row).onConflict(['model', 'id']).merge();
  }

  async find(id: string) {
    return fromRow(await this.live().andWhere('id', id).first('payload', 'consumed_at'));
  }
  async findByUid(uid: string) {
    return fromRow(await this.live().andWhere('uid', uid).first('payload', 'consumed_at'));
  }
  async findByUserCode(userCode: string) {
    return fromRow(await this.live().andWhere('user_code', userCode).first('payload', 'consumed_at'));
  }
  async consume(id: string): Promise<void> {
    const updated = await this.db('oidc_payloads')
      .where({ model: this.model, id })
      .whereNull('consumed_at')
      .update({ consumed_at: Date.now() });
    if (updated === 1) return;
    // Another request consumed it first (or a replay already revoked it): the same outcome as a replay.
    const row = await this.db<PayloadRow & { grant_id: string | null }>('oidc_payloads')
      .where({ model: this.model, id })
      .first('grant_id');
    if (row?.grant_id) await revokeGrant(this.db, row.grant_id);
    throw new ConsumeConflict(this.model);
  }
  async destroy(id: string): Promise<void> {
    await this.db('oidc_payloads').where({ model: this.model, id }).delete();
  }
  async revokeByGrantId(grantId: string): Promise<void> {
    await this.db('oidc_payloads').where({ grant_id: grantId }).delete();
  }
}

/** Deletes the grant and everything issued under it (codes, tokens), as oidc-provider's replay handling does. */
async function revokeGrant(db: Database, grantId: string): Promise<void> {
  await db('oidc_payloads')
    .where({ grant_id: grantId })
    .orWhere((q) => q.where({ model: 'Grant', id: grantId }))
    .delete();
}

export class SqlOidcStore implements OidcStore {
  constructor(
    private readonly db: Database,
    private readonly clients: ClientRepository,
  ) {}

  adapterFor(name: string): Adapter {
    return storableIdsOnly(name === 'Client' ? new ClientAdapter(this.clients) : new SqlAdapter(this.db, name));
  }

  async revokeByAccountId(accountId: string): Promise<number> {
    const grants = await this.db('oidc_payloads')
      .where({ account_id: accountId })
      .whereNotNull('grant_id')
      .distinct<{ grant_id: string }[]>('grant_id');
    return this.db.transaction(async (trx) => {
      let deleted = await trx('oidc_payloads').where({ account_id: accountId }).delete();
      const grantIds = grants.map((row) => row.grant_id);
      if (grantIds.length) deleted += await trx('oidc_payloads').whereIn('grant_id', grantIds).delete();
      return deleted;
    });
  }

  async purgeExpired(): Promise<void> {
    await this.db('oidc_payloads').where('expires_at', '<=', Date.now()).delete();
  }

  async close(): Promise<void> {}
}
