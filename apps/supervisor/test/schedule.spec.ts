import { createKeys, MAX_TASKS_PER_RUN } from '@mesh/mesh-protocol';
import { RunState } from '@mesh/run-state';
import { createRedisTestContext, type RedisTestContext } from '@mesh/testing';
import { memberOf, parseMember, Schedule } from '../src/dispatch/schedule';

let ctx: RedisTestContext;

beforeEach(() => {
  ctx = createRedisTestContext('schedule');
});
afterEach(() => ctx.cleanup());

describe('schedule', () => {
  it('when 100,000 entries are added, claimed and removed at once, the commands stay bounded and every entry lands and leaves', async () => {
    const keys = createKeys(ctx.prefix);
    const schedule = new Schedule(ctx.redis, new RunState(ctx.redis, keys, { finishedTtlMs: 1000 }), keys);
    const entries = Array.from({ length: MAX_TASKS_PER_RUN }, (_, i) => ({
      member: memberOf({ runId: 'r', taskId: `t${i}`, attempt: 1 }),
      at: i,
    }));
    await schedule.add(entries);
    expect(await ctx.redis.zcard(keys.schedule)).toBe(MAX_TASKS_PER_RUN);
    expect(await schedule.due(MAX_TASKS_PER_RUN)).toBe(MAX_TASKS_PER_RUN);
    const claimed = await schedule.claim(9, 100, 1_000_000);
    expect(claimed).toHaveLength(10);
    expect(await schedule.due(MAX_TASKS_PER_RUN)).toBe(MAX_TASKS_PER_RUN - 10);
    await schedule.remove(entries.map((e) => e.member));
    expect(await ctx.redis.zcard(keys.schedule)).toBe(0);
  });

  it('when a member is parsed, it gives back its entry; a member of another kind is not ours', () => {
    expect(parseMember(memberOf({ runId: 'r-1', taskId: 'a', attempt: 3 }))).toEqual({
      kind: 'dispatch',
      runId: 'r-1',
      taskId: 'a',
      attempt: 3,
    });
    const deadline = { kind: 'queue' as const, runId: 'r-1', taskId: 'a', attempt: 1, domain: 'gpu', entryId: '1-0' };
    expect(parseMember(memberOf(deadline))).toEqual(deadline);
    expect(parseMember('q|r-1|a|1')).toBeUndefined();
    expect(parseMember('w|r-1|a|1')).toBeUndefined();
  });
});
