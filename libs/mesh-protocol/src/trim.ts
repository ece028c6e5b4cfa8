import type { Redis } from './redis';

/** The id right after `id` (`ms-seq` → `ms-(seq+1)`). */
function after(id: string): string {
  const [ms, seq] = id.split('-');
  return `${ms}-${BigInt(seq ?? '0') + 1n}`;
}

function lower(a: string | undefined, b: string): string {
  if (a === undefined) return b;
  const [am, as] = a.split('-').map(BigInt) as [bigint, bigint];
  const [bm, bs] = b.split('-').map(BigInt) as [bigint, bigint];
  return am < bm || (am === bm && as < bs) ? a : b;
}

/**
 * The lowest entry id some consumer group of `stream` still needs: for each group, its oldest
 * pending entry, or else the entry after the last one it read. Everything below is delivered to and
 * acknowledged by every group. Undefined when the stream has no group (then nothing is safe to trim).
 */
export async function firstNeededId(redis: Redis, stream: string): Promise<string | undefined> {
  let groups: unknown[][];
  try {
    groups = (await redis.call('XINFO', 'GROUPS', stream)) as unknown[][];
  } catch {
    return undefined; // no such stream
  }
  let needed: string | undefined;
  for (const flat of groups) {
    const info = new Map<string, unknown>();
    for (let i = 0; i + 1 < flat.length; i += 2) info.set(String(flat[i]), flat[i + 1]);
    const name = String(info.get('name'));
    if (Number(info.get('pending')) > 0) {
      const [, oldest] = (await redis.call('XPENDING', stream, name)) as [number, string | null];
      if (oldest) needed = lower(needed, oldest);
    } else {
      needed = lower(needed, after(String(info.get('last-delivered-id') ?? '0-0')));
    }
  }
  return needed;
}

/**
 * Trims `stream` below what every group has acknowledged (never an unread or pending entry), so
 * memory follows the work in flight, not the work done. Returns how many entries were removed.
 */
export async function trimAcknowledged(redis: Redis, stream: string): Promise<number> {
  const needed = await firstNeededId(redis, stream);
  if (!needed) return 0;
  return Number(await redis.call('XTRIM', stream, 'MINID', needed));
}
