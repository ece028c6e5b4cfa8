import { createKeys, trimAcknowledged } from '../src';
import { createRedisTestContext, type RedisTestContext } from '@mesh/testing';

let ctx: RedisTestContext;
beforeEach(() => (ctx = createRedisTestContext('trim')));
afterEach(() => ctx.cleanup());

async function fill(stream: string, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await ctx.redis.xadd(stream, '*', 'i', String(i))) as string);
  return ids;
}

const read = (stream: string, group: string, count: number) =>
  ctx.redis.xreadgroup('GROUP', group, 'c', 'COUNT', count, 'STREAMS', stream, '>');

describe('trimming acknowledged entries', () => {
  it('when every entry is read and acked, all of them go', async () => {
    const stream = createKeys(ctx.prefix).acks;
    await ctx.redis.xgroup('CREATE', stream, 'g', '0', 'MKSTREAM');
    const ids = await fill(stream, 5);
    await read(stream, 'g', 10);
    await ctx.redis.xack(stream, 'g', ...ids);
    expect(await trimAcknowledged(ctx.redis, stream)).toBe(5);
    expect(await ctx.redis.xlen(stream)).toBe(0);
  });

  it('when entries are pending or unread, they and everything after the oldest of them stay', async () => {
    const stream = createKeys(ctx.prefix).acks;
    await ctx.redis.xgroup('CREATE', stream, 'g', '0', 'MKSTREAM');
    const ids = await fill(stream, 6);
    await read(stream, 'g', 4);
    await ctx.redis.xack(stream, 'g', ids[0] as string, ids[1] as string, ids[3] as string); // ids[2] stays pending; 4 and 5 unread
    expect(await trimAcknowledged(ctx.redis, stream)).toBe(2);
    expect((await ctx.redis.xrange(stream, '-', '+')).map(([id]) => id)).toEqual(ids.slice(2));
  });

  it('when two groups share a stream, the one further behind decides', async () => {
    const stream = createKeys(ctx.prefix).runEvents;
    await ctx.redis.xgroup('CREATE', stream, 'fast', '0', 'MKSTREAM');
    await ctx.redis.xgroup('CREATE', stream, 'slow', '0');
    const ids = await fill(stream, 4);
    await read(stream, 'fast', 4);
    await ctx.redis.xack(stream, 'fast', ...ids);
    await read(stream, 'slow', 1);
    await ctx.redis.xack(stream, 'slow', ids[0] as string);
    expect(await trimAcknowledged(ctx.redis, stream)).toBe(1);
    expect(await ctx.redis.xlen(stream)).toBe(3);
  });

  it('when a stream has no group or does not exist, nothing is trimmed', async () => {
    const stream = createKeys(ctx.prefix).dead;
    await fill(stream, 3);
    expect(await trimAcknowledged(ctx.redis, stream)).toBe(0);
    expect(await ctx.redis.xlen(stream)).toBe(3);
    expect(await trimAcknowledged(ctx.redis, `${ctx.prefix}:nothing`)).toBe(0);
  });
});
