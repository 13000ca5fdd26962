// The Redis server is shared (other runs and tests use it): remove exactly this deployment's keys, by
// its own prefix, never FLUSHDB. PostgreSQL schemas are dropped by the backend's dispose().
import { Redis } from 'ioredis';
import type { Deployment } from '../lib/deployment.js';

export async function cleanUpRedis(deployment: Deployment): Promise<void> {
  const { redisUrl, redisPrefix } = deployment.backend;
  if (!redisUrl || !redisPrefix) return;
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${redisPrefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
