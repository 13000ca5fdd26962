// Opens everything Latchkey keeps state in (database, Redis, master key) and builds the repositories
// on top. Shared by the server and the CLIs so both read and write the same way.
import { Redis } from 'ioredis';
import type { LoadedConfig } from '../config/load.js';
import { loadMasterKey, type MasterKeySource } from '../crypto/master-key.js';
import { SealedBox } from '../crypto/sealed-box.js';
import { UnavailableError } from '../errors.js';
import type { Logger } from '../log.js';
import { AuditLog } from '../store/audit.js';
import { ClientRepository } from '../store/clients.js';
import { checkDatabase, migrateToLatest, openDatabase, type Database } from '../store/database.js';
import { KeyRepository } from '../store/keys.js';
import type { OidcStore } from '../store/oidc-adapter.js';
import { RedisRateLimitStore, SqlRateLimitStore, type RateLimitStore } from '../store/rate-limits.js';
import { RedisOidcStore } from '../store/redis-oidc-store.js';
import { SettingsRepository } from '../store/settings.js';
import { SqlOidcStore } from '../store/sql-oidc-store.js';
import { DeviceTrustStore } from '../store/device-trust.js';
import { DeviceTrustService, type DeviceTrustDeps } from '../trust/service/index.js';
import { ScepService } from '../trust/service/scep/index.js';
import { ScepStore } from '../store/scep.js';
import { AdminTokenRepository } from '../store/admin-tokens.js';
import { GroupRepository, UserRepository } from '../store/users.js';

export interface Services {
  config: LoadedConfig;
  log: Logger;
  masterKey: MasterKeySource;
  box: SealedBox;
  db: Database;
  redis: Redis | undefined;
  users: UserRepository;
  groups: GroupRepository;
  clients: ClientRepository;
  keys: KeyRepository;
  settings: SettingsRepository;
  audit: AuditLog;
  oidcStore: OidcStore;
  rateLimits: RateLimitStore;
  /** Device CA, enrollment, renewal, checks and revocation. */
  deviceTrust: DeviceTrustService;
  /** SCEP (RFC 8894): device certificates delivered by MDMs. */
  scep: ScepService;
  /** Bearer tokens of the admin API. */
  adminTokens: AdminTokenRepository;
  /** Ends every session, grant and token of a user at once. */
  revokeSessions(userId: string): Promise<number>;
  /** Readiness checks by name (database, redis). */
  readiness: Record<string, () => Promise<void>>;
  close(): Promise<void>;
}

/** Opens the stores named by the configuration and applies pending migrations. */
export async function openServices(
  config: LoadedConfig,
  log: Logger,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Services> {
  const masterKey = loadMasterKey(env, config.dataDirAbsolute, config.security.require_master_key);
  const box = new SealedBox(masterKey.key);
  const db = openDatabase({
    url: config.database.url,
    dataDir: config.dataDirAbsolute,
    poolMax: config.database.pool_max,
  });
  let redis: Redis | undefined;
  try {
    await checkDatabase(db);
    await migrateToLatest(db);
    redis = config.redis.url ? await connectRedis(config.redis.url) : undefined;
  } catch (error) {
    await db.destroy();
    throw error;
  }
  const clients = new ClientRepository(db, box);
  const users = new UserRepository(db);
  const prefix = config.redis.key_prefix;
  const oidcStore: OidcStore = redis ? new RedisOidcStore(redis, prefix, clients) : new SqlOidcStore(db, clients);
  const readiness: Record<string, () => Promise<void>> = { database: () => checkDatabase(db) };
  const trustDeps: DeviceTrustDeps = {
    store: new DeviceTrustStore(db),
    box,
    settings: new SettingsRepository(db),
    audit: new AuditLog(db),
    users,
    config,
    now: () => new Date(),
  };
  if (redis) {
    const client = redis;
    readiness.redis = async () => {
      await client.ping();
    };
  }
  return {
    config,
    log,
    masterKey,
    box,
    db,
    redis,
    users,
    groups: new GroupRepository(db),
    clients,
    keys: new KeyRepository(db, box),
    settings: new SettingsRepository(db),
    audit: new AuditLog(db),
    oidcStore,
    rateLimits: redis ? new RedisRateLimitStore(redis, prefix) : new SqlRateLimitStore(db),
    deviceTrust: new DeviceTrustService(trustDeps),
    scep: new ScepService({ trust: trustDeps, store: new ScepStore(db), settings: config.scep, users }),
    adminTokens: new AdminTokenRepository(db),
    async revokeSessions(userId) {
      await users.markSessionsRevoked(userId, Date.now());
      return oidcStore.revokeByAccountId(userId);
    },
    readiness,
    async close() {
      await oidcStore.close();
      if (redis) redis.disconnect();
      await db.destroy();
    },
  };
}

async function connectRedis(url: string): Promise<Redis> {
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
    connectTimeout: 5000,
  });
  try {
    await redis.connect();
    await redis.ping();
  } catch (cause) {
    redis.disconnect();
    throw new UnavailableError('ERR_REDIS_UNAVAILABLE', `Redis at ${redactUrl(url)} is not reachable`, { cause });
  }
  return redis;
}

/** A URL with its password removed, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}
