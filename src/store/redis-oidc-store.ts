// oidc-provider artifacts in Redis. Each write is one atomic command or a MULTI on a single key (so it
// works on Redis Cluster), TTLs are set in the same transaction as the data, and index sets (per grant,
// per account) only ever have their TTL extended, never shortened, so revocation finds every member.
import type { Redis } from 'ioredis';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { ClientRepository } from './clients.js';
import { ClientAdapter, ConsumeConflict, storableIdsOnly, type OidcStore } from './oidc-adapter.js';

// Adds a member to an index set and extends (never shortens) its TTL, atomically on one key.
const INDEX_ADD = `
redis.call('SADD', KEYS[1], ARGV[1])
local ttl = tonumber(ARGV[2])
if ttl > 0 then
  local current = redis.call('TTL', KEYS[1])
  if current >= 0 and current < ttl then redis.call('EXPIRE', KEYS[1], ttl) end
  if current == -1 then redis.call('EXPIRE', KEYS[1], ttl) end
end
return 1`;

// Marks a payload consumed only if it exists and is not consumed yet (HSET on a missing key would create it
// without TTL); 1 for the one caller that consumed it, 0 for every other.
const CONSUME = `
if redis.call('EXISTS', KEYS[1]) == 1 then
  return redis.call('HSETNX', KEYS[1], 'consumed', ARGV[1])
end
return 0`;

type IndexedRedis = Redis & {
  latchkeyIndexAdd(key: string, member: string, ttl: number): Promise<number>;
  latchkeyConsume(key: string, at: number): Promise<number>;
};

class RedisAdapter implements Adapter {
  constructor(
    private readonly redis: IndexedRedis,
    private readonly prefix: string,
    private readonly model: string,
  ) {}

  private key(id: string): string {
    return `${this.prefix}oidc:${this.model}:${id}`;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    const key = this.key(id);
    const ttl = expiresIn && expiresIn > 0 ? Math.ceil(expiresIn) : 0;
    const indexes: string[] = [];
    if (payload.grantId) indexes.push(`${this.prefix}oidc:grant:${payload.grantId}`);
    if (payload.accountId) indexes.push(`${this.prefix}oidc:account:${payload.accountId}`);
    for (const index of indexes) await this.redis.latchkeyIndexAdd(index, key, ttl);
    if (payload.uid) await this.setPointer(`uid:${payload.uid}`, id, ttl);
    if (payload.userCode) await this.setPointer(`user_code:${payload.userCode}`, id, ttl);
    const multi = this.redis.multi().del(key).hset(key, 'payload', JSON.stringify(payload));
    if (ttl) multi.expire(key, ttl);
    await multi.exec();
  }

  private async setPointer(name: string, id: string, ttl: number): Promise<void> {
    const key = `${this.prefix}oidc:${this.model}:${name}`;
    if (ttl) await this.redis.set(key, id, 'EX', ttl);
    else await this.redis.set(key, id);
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const [payload, consumed] = await this.redis.hmget(this.key(id), 'payload', 'consumed');
    if (!payload) return undefined;
    const parsed = JSON.parse(payload) as AdapterPayload;
    return consumed ? { ...parsed, consumed: Number(consumed) } : parsed;
  }

  private async findByPointer(name: string): Promise<AdapterPayload | undefined> {
    const id = await this.redis.get(`${this.prefix}oidc:${this.model}:${name}`);
    return id ? this.find(id) : undefined;
  }

  findByUid(uid: string) {
    return this.findByPointer(`uid:${uid}`);
  }
  findByUserCode(userCode: string) {
    return this.findByPointer(`user_code:${userCode}`);
  }

  async consume(id: string): Promise<void> {
    const key = this.key(id);
    if ((await this.redis.latchkeyConsume(key, Math.floor(Date.now() / 1000))) === 1) return;
    // Another request consumed it first (or a replay already revoked it): the same outcome as a replay.
    const payload = await this.redis.hget(key, 'payload');
    const grantId = payload ? (JSON.parse(payload) as AdapterPayload).grantId : undefined;
    if (grantId) {
      await deleteIndexed(this.redis, `${this.prefix}oidc:grant:${grantId}`);
      await this.redis.del(`${this.prefix}oidc:Grant:${grantId}`);
    }
    throw new ConsumeConflict(this.model);
  }

  async destroy(id: string): Promise<void> {
    await this.redis.del(this.key(id));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await deleteIndexed(this.redis, `${this.prefix}oidc:grant:${grantId}`);
  }
}

/** Deletes every key listed in an index set, then the set; one key per command (cluster-safe). */
async function deleteIndexed(redis: Redis, indexKey: string): Promise<number> {
  const members = await redis.smembers(indexKey);
  let deleted = 0;
  for (const member of members) deleted += await redis.del(member);
  await redis.del(indexKey);
  return deleted;
}

export class RedisOidcStore implements OidcStore {
  private readonly redis: IndexedRedis;

  constructor(
    redis: Redis,
    private readonly prefix: string,
    private readonly clients: ClientRepository,
  ) {
    redis.defineCommand('latchkeyIndexAdd', { numberOfKeys: 1, lua: INDEX_ADD });
    redis.defineCommand('latchkeyConsume', { numberOfKeys: 1, lua: CONSUME });
    this.redis = redis as IndexedRedis;
  }

  adapterFor(name: string): Adapter {
    return storableIdsOnly(
      name === 'Client' ? new ClientAdapter(this.clients) : new RedisAdapter(this.redis, this.prefix, name),
    );
  }

  async revokeByAccountId(accountId: string): Promise<number> {
    const accountKey = `${this.prefix}oidc:account:${accountId}`;
    // Grants of the account own tokens that may not carry accountId themselves (e.g. after rotation).
    const members = await this.redis.smembers(accountKey);
    let deleted = 0;
    for (const member of members) {
      const payload = await this.redis.hget(member, 'payload');
      const grantId = payload ? (JSON.parse(payload) as AdapterPayload).grantId : undefined;
      if (grantId) deleted += await deleteIndexed(this.redis, `${this.prefix}oidc:grant:${grantId}`);
    }
    return deleted + (await deleteIndexed(this.redis, accountKey));
  }

  async purgeExpired(): Promise<void> {}

  async close(): Promise<void> {}
}
