import type Redis from 'ioredis';

/** `entries-added` of an XINFO STREAM reply (Redis 7+): every entry ever added, trimmed or not; null before Redis 7. */
export function entriesAddedOf(reply: readonly unknown[]): number | null {
  for (let i = 0; i + 1 < reply.length; i += 2)
    if (String(reply[i]) === 'entries-added') {
      const n = Number(reply[i + 1]);
      return Number.isFinite(n) ? n : null;
    }
  return null;
}

/** Entries ever added to a stream: 0 when it does not exist yet, null when Redis cannot say. */
export async function entriesAdded(redis: Redis, stream: string): Promise<number | null> {
  try {
    return entriesAddedOf((await redis.call('XINFO', 'STREAM', stream)) as unknown[]);
  } catch (err) {
    return /no such key/i.test((err as Error).message) ? 0 : null;
  }
}

/** Counts the entries a phase adds to some streams: `stop()` gives each stream's count per 1,000 tasks. */
export async function startStreamCount(
  redis: Redis,
  streams: readonly string[],
): Promise<{ stop(tasks: number): Promise<Array<number | null>> }> {
  const before = await Promise.all(streams.map((s) => entriesAdded(redis, s)));
  return {
    async stop(tasks: number) {
      const after = await Promise.all(streams.map((s) => entriesAdded(redis, s)));
      return after.map((a, i) => {
        const b = before[i];
        return a === null || b === null || b === undefined ? null : ((a - b) * 1000) / tasks;
      });
    },
  };
}
