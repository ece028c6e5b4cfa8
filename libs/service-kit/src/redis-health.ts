import type { Logger } from '@mesh/logging';
import { createRedisClient, pingRedis, type Redis } from '@mesh/mesh-protocol';
import type { ReadinessCheck } from './http-app';

/**
 * A Redis client for a service that logs connection trouble once per outage (not once per retry)
 * and its recovery, and a readiness check for `/readyz`.
 */
export function connectRedis(
  url: string,
  connectionName: string,
  logger: Logger,
): { redis: Redis; ready: ReadinessCheck } {
  const log = logger.child({ component: 'redis', connection: connectionName });
  let down = false;
  const redis = createRedisClient(url, {
    connectionName,
    onError: (err) => {
      if (down) return;
      down = true;
      log.warn({ err }, 'redis unavailable, reconnecting');
    },
  });
  redis.on('ready', () => {
    if (down) log.info('redis available again');
    down = false;
  });
  return { redis, ready: () => pingRedis(redis, 1000) };
}

/** Closes a client politely (QUIT), or drops it if Redis does not answer. */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === 'end') return;
  if (redis.status !== 'ready') return redis.disconnect();
  await redis.quit().catch(() => redis.disconnect());
}
