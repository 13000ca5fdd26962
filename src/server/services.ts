// Opens everything Latchkey keeps state in (database, Redis, master key) and builds the repositories
// on top. Shared by the server and the CLIs so both read and write the same way. Redis and the device CA
// (X.509 and CMS libraries: a quarter of a second to load) are imported only when used, so that an admin
// command such as `latchkey users list` starts quickly.
import type { Redis } from 'ioredis';
import type { LoadedConfig } from '../config/load.js';
import { loadMasterKey, type MasterKeySource } from '../crypto/master-key.js';
import { SealedBox } from '../crypto/sealed-box.js';
import { LatchkeyError, UnavailableError } from '../errors.js';
import type { Logger } from '../log.js';
import { AuditLog } from '../store/audit.js';
import { NodeRepository, PolicySetRepository } from '../store/cluster.js';
import { ClientRepository, clientCache } from '../store/clients.js';
import { checkDatabase, migrateToLatest, openDatabase, type Database } from '../store/database.js';
import { KeyRepository } from '../store/keys.js';
import type { OidcStore } from '../store/oidc-adapter.js';
import { SqlRateLimitStore, type RateLimitStore } from '../store/rate-limits.js';
import { SessionProofRepository } from '../store/session-proofs.js';
import { SettingsRepository } from '../store/settings.js';
import { SqlOidcStore } from '../store/sql-oidc-store.js';
import { caCache, DeviceTrustStore } from '../store/device-trust.js';
import type { RevisionCache } from '../store/revision-cache.js';
import type { DeviceTrustService } from '../trust/service/index.js';
import type { ScepService } from '../trust/service/scep/index.js';
import { AdminTokenRepository } from '../store/admin-tokens.js';
import { GroupRepository, UserCache, UserRepository } from '../store/users.js';

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
  /** Published policy sets: the newest is in force on every node. */
  policySets: PolicySetRepository;
  /** The nodes of the cluster and what each has applied. */
  nodes: NodeRepository;
  /** What each signed-in session proved (its device, for re-checks and to end it when revoked). */
  sessionProofs: SessionProofRepository;
  oidcStore: OidcStore;
  rateLimits: RateLimitStore;
  /** Device CA, enrollment, renewal, checks and revocation (unless opened with `deviceTrust: false`). */
  readonly deviceTrust: DeviceTrustService;
  /** SCEP (RFC 8894): device certificates delivered by MDMs (unless opened with `deviceTrust: false`). */
  readonly scep: ScepService;
  /** Bearer tokens of the admin API. */
  adminTokens: AdminTokenRepository;
  /** Ends every session, grant and token of a user at once. */
  revokeSessions(userId: string): Promise<number>;
  /** Readiness checks by name (database, redis). */
  readiness: Record<string, () => Promise<void>>;
  close(): Promise<void>;
}

export interface OpenServicesOptions {
  /** Load the device-trust service (default true; the CLI's commands that do not touch devices skip it). */
  deviceTrust?: boolean;
}

/** Opens the stores named by the configuration and applies pending migrations. */
export async function openServices(
  config: LoadedConfig,
  log: Logger,
  env: NodeJS.ProcessEnv = process.env,
  options: OpenServicesOptions = {},
): Promise<Services> {
  const masterKey = loadMasterKey(env, config.dataDirAbsolute, config.security.require_master_key);
  const box = new SealedBox(masterKey.key);
  const db = openDatabase({
    url: config.database.url,
    dataDir: config.dataDirAbsolute,
    poolMax: config.database.pool_max,
    connectTimeoutSeconds: config.database.connect_timeout_seconds,
    acquireTimeoutSeconds: config.database.acquire_timeout_seconds,
    statementTimeoutSeconds: config.database.statement_timeout_seconds,
    sqliteSynchronous: config.database.sqlite_synchronous,
    log,
  });
  let redis: Redis | undefined;
  try {
    await checkDatabase(db);
    await migrateToLatest(db);
    redis = config.redis.url ? await connectRedis({ ...config.redis, url: config.redis.url }, log) : undefined;
  } catch (error) {
    await db.destroy();
    throw error;
  }
  const caching = { revalidateMs: config.cluster.cache_revalidate_seconds * 1000 };
  const clients = new ClientRepository(db, box, clientCache(db, caching));
  const userCache = new UserCache(db, caching);
  const settings = new SettingsRepository(db);
  const users = new UserRepository(db, userCache);
  const prefix = config.redis.key_prefix;
  let oidcStore: OidcStore;
  let rateLimits: RateLimitStore;
  if (redis) {
    const [{ RedisOidcStore }, { RedisRateLimitStore }] = await Promise.all([
      import('../store/redis-oidc-store.js'),
      import('../store/rate-limits.js'),
    ]);
    oidcStore = new RedisOidcStore(redis, prefix, clients);
    rateLimits = new RedisRateLimitStore(redis, prefix);
  } else {
    oidcStore = new SqlOidcStore(db, clients);
    rateLimits = new SqlRateLimitStore(db);
  }
  const sessionProofs = new SessionProofRepository(db);
  /** Ends the browser sessions that proved `deviceId`; their tokens already fail the device re-check. */
  const endSessionsOfDevice = async (deviceId: string) => {
    const sessions = oidcStore.adapterFor('Session');
    for (const uid of await sessionProofs.sessionsOfDevice(deviceId)) {
      const session = await sessions.findByUid(uid);
      if (typeof session?.jti === 'string') await sessions.destroy(session.jti);
    }
  };
  const trust =
    options.deviceTrust === false
      ? undefined
      : await openDeviceTrust(config, { db, box, users, settings, ca: caCache(db, caching) }, endSessionsOfDevice);
  const readiness: Record<string, () => Promise<void>> = { database: () => checkDatabase(db) };
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
    groups: new GroupRepository(db, userCache),
    clients,
    keys: new KeyRepository(db, box),
    settings,
    audit: new AuditLog(db),
    policySets: new PolicySetRepository(db),
    nodes: new NodeRepository(db),
    sessionProofs,
    oidcStore,
    rateLimits,
    get deviceTrust(): DeviceTrustService {
      return opened(trust).deviceTrust;
    },
    get scep(): ScepService {
      return opened(trust).scep;
    },
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

async function openDeviceTrust(
  config: LoadedConfig,
  stores: {
    db: Database;
    box: SealedBox;
    users: UserRepository;
    settings: SettingsRepository;
    ca: RevisionCache<unknown>;
  },
  onDeviceRevoked: (deviceId: string) => Promise<void>,
): Promise<{ deviceTrust: DeviceTrustService; scep: ScepService }> {
  const [{ DeviceTrustService }, { ScepService }, { ScepStore }] = await Promise.all([
    import('../trust/service/index.js'),
    import('../trust/service/scep/index.js'),
    import('../store/scep.js'),
  ]);
  const { db, box, users, settings } = stores;
  const trust = {
    store: new DeviceTrustStore(db, stores.ca),
    box,
    settings,
    audit: new AuditLog(db),
    users,
    config,
    now: () => new Date(),
    onDeviceRevoked,
  };
  return {
    deviceTrust: new DeviceTrustService(trust),
    scep: new ScepService({ trust, store: new ScepStore(db), settings: config.scep, users }),
  };
}

function opened<T>(trust: T | undefined): T {
  if (!trust) {
    throw new LatchkeyError(
      'ERR_INTERNAL',
      'the device-trust service was not opened (openServices deviceTrust: false)',
    );
  }
  return trust;
}

/**
 * Connects to Redis with timeouts on connecting and on every command, so an unreachable or stalled Redis
 * fails requests within seconds (503) and commands do not queue forever; ioredis reconnects by itself.
 * Its connection errors go to the JSON log, not to stderr.
 */
async function connectRedis(
  options: { url: string; connect_timeout_seconds: number; command_timeout_seconds: number },
  log: Logger,
): Promise<Redis> {
  const { url } = options;
  const { Redis } = await import('ioredis');
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
    connectTimeout: Math.round(options.connect_timeout_seconds * 1000),
    commandTimeout: Math.round(options.command_timeout_seconds * 1000),
  });
  reportRedisEvents(redis, redactUrl(url), log);
  try {
    await redis.connect();
    await redis.ping();
  } catch (cause) {
    redis.disconnect();
    throw new UnavailableError('ERR_REDIS_UNAVAILABLE', `Redis at ${redactUrl(url)} is not reachable`, { cause });
  }
  return redis;
}

/** Logs Redis losing and regaining its connection: the first error at once, then at most every 30 s. */
function reportRedisEvents(redis: Redis, where: string, log: Logger): void {
  let lastLogged = 0;
  let suppressed = 0;
  let down = false;
  redis.on('error', (error: Error) => {
    down = true;
    const now = Date.now();
    if (now - lastLogged < 30_000) {
      suppressed += 1;
      return;
    }
    log.warn({ err: error, redis: where, suppressed }, 'Redis connection error');
    lastLogged = now;
    suppressed = 0;
  });
  redis.on('ready', () => {
    if (!down) return;
    down = false;
    log.info({ redis: where }, 'Redis connection restored');
  });
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
