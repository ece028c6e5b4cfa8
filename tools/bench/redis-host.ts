import type Redis from 'ioredis';
import { commandName, type MeteredProcess } from './cpu';

/** What INFO server says about the Redis under test, and whether its process is visible here. */
export interface RedisFacts {
  readonly version: string;
  /** Its pid when /proc shows a redis-server there (the same host, the same pid namespace). */
  readonly pid: number | undefined;
  readonly process: MeteredProcess;
  /** Why its CPU is not measured, if it is not. */
  readonly note?: string;
}

export async function redisFacts(redis: Redis): Promise<RedisFacts> {
  const info = await redis.info('server');
  const field = (name: string): string | undefined => new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim();
  const version = field('redis_version') ?? 'unknown';
  const reported = Number(field('process_id'));
  const name = Number.isInteger(reported) ? commandName(reported) : undefined;
  const pid = name?.startsWith('redis') ? reported : undefined;
  const label = 'redis-server (shared: other work on it counts too)';
  return {
    version,
    pid,
    process: { name: label, pid, inTotal: true },
    ...(pid === undefined
      ? {
          note: `Redis CPU is not measured: its process_id ${field('process_id') ?? '?'} is not a redis-server in this machine's /proc (another host or container), so totals leave it out`,
        }
      : {}),
  };
}

/** Deletes every key under `<prefix>:` (SCAN + UNLINK) and resolves with how many there were. */
export async function deleteKeys(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (found.length > 0) deleted += await redis.unlink(...found);
  } while (cursor !== '0');
  return deleted;
}
