import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';

/** The Redis tests talk to: MESH_TEST_REDIS_URL, else the local one. */
export const TEST_REDIS_URL = process.env['MESH_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/**
 * A test's own slice of the shared Redis: a unique key prefix, and a cleanup that deletes only keys
 * under it (tests run in parallel against one server; nothing ever flushes it).
 */
export interface RedisTestContext {
  readonly prefix: string;
  readonly url: string;
  /** A connection the test may use freely (closed by cleanup). */
  readonly redis: Redis;
  /** A new connection, closed by cleanup unless the test closes it first. */
  connect(name?: string): Redis;
  cleanup(): Promise<void>;
}

export function createRedisTestContext(label: string): RedisTestContext {
  const prefix = `test:${label}-${randomBytes(4).toString('hex')}`;
  const opened: Redis[] = [];
  const connect = (name = 'test'): Redis => {
    const client = new Redis(TEST_REDIS_URL, {
      protocol: 2,
      connectionName: `${prefix}:${name}`,
      maxRetriesPerRequest: 1,
    });
    client.on('error', () => undefined);
    opened.push(client);
    return client;
  };
  const redis = connect('main');
  return {
    prefix,
    url: TEST_REDIS_URL,
    redis,
    connect,
    async cleanup() {
      const admin = new Redis(TEST_REDIS_URL, { protocol: 2 });
      try {
        await deleteByPrefix(admin, prefix);
      } finally {
        await Promise.all([admin, ...opened].map(closeClient));
      }
    },
  };
}

/** Disconnects `client` and resolves once its socket is gone. */
export function closeClient(client: Redis): Promise<void> {
  if (client.status === 'end') return Promise.resolve();
  return new Promise((resolve) => {
    client.once('end', () => resolve());
    client.disconnect();
  });
}

/** Deletes every key under `prefix:` (SCAN, never KEYS or FLUSHDB). */
export async function deleteByPrefix(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) deleted += await redis.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}

/**
 * How long a test waits for something that should happen. Generous on purpose: a passing test never waits
 * for it (it polls for the event), so only a broken behaviour reaches it, even on a loaded 2-core machine.
 * `MESH_TEST_DEADLINE_MS` overrides it.
 */
export const TEST_DEADLINE_MS = Number(process.env['MESH_TEST_DEADLINE_MS'] ?? 30_000);

/** Polls `probe` until it returns a value other than undefined, or rejects after `timeoutMs`. */
export async function eventually<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = TEST_DEADLINE_MS,
  intervalMs = 20,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`condition not met within ${timeoutMs} ms${lastError ? `: ${String(lastError)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
