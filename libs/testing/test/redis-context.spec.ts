import { createRedisTestContext } from '../src';

describe('redis test context', () => {
  it('when cleanup runs, only keys under the test prefix are deleted', async () => {
    const mine = createRedisTestContext('ctx-mine');
    const other = createRedisTestContext('ctx-other');
    await mine.redis.set(`${mine.prefix}:a`, '1');
    await mine.redis.xadd(`${mine.prefix}:s`, '*', 'f', 'v');
    await other.redis.set(`${other.prefix}:b`, '1');
    await mine.cleanup();
    expect(await other.redis.exists(`${other.prefix}:b`)).toBe(1);
    await other.cleanup();
    const check = createRedisTestContext('ctx-check');
    expect(await check.redis.exists(`${mine.prefix}:a`, `${mine.prefix}:s`, `${other.prefix}:b`)).toBe(0);
    await check.cleanup();
  });

  it('when two contexts are created, their prefixes differ', async () => {
    const a = createRedisTestContext('same');
    const b = createRedisTestContext('same');
    expect(a.prefix).not.toBe(b.prefix);
    await Promise.all([a.cleanup(), b.cleanup()]);
  });
});
