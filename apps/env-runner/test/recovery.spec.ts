import { readAcks } from '@mesh/mesh-harness';
import { createKeys, GROUPS, PROTOCOL_EXAMPLES, type Ack, type Assignment, type MeshKeys } from '@mesh/mesh-protocol';
import {
  createRedisTestContext,
  eventually,
  startServiceProcess,
  TEST_REDIS_URL,
  type RedisTestContext,
} from '@mesh/testing';

const DOMAIN = 'batch';
let ctx: RedisTestContext;
let keys: MeshKeys;

beforeEach(() => {
  ctx = createRedisTestContext('runner-recovery');
  keys = createKeys(ctx.prefix);
});
afterEach(() => ctx.cleanup());

const env = (runnerId: string, extra: Record<string, string> = {}): Record<string, string> => ({
  REDIS_URL: TEST_REDIS_URL,
  RUNNER_LISTEN: '127.0.0.1:0',
  MESH_STREAM_PREFIX: ctx.prefix,
  MESH_DOMAIN: DOMAIN,
  RUNNER_ID: runnerId,
  RUNNER_BLOCK_MS: '200',
  RUNNER_HARDWARE_INTERVAL_MS: '0',
  ...extra,
});

async function publish(count: number, over: Partial<Assignment>): Promise<void> {
  for (let i = 0; i < count; i++) {
    const a = {
      ...PROTOCOL_EXAMPLES.assignment,
      domain: DOMAIN,
      assignmentId: `run:t${i}:1`,
      taskId: `t${i}`,
      ...over,
    };
    await ctx.redis.xadd(keys.assignments(DOMAIN), '*', 'v', '1', 'assignment', JSON.stringify(a));
  }
}

async function acks(): Promise<Ack[]> {
  return readAcks(ctx.redis, keys.acks);
}

const ackedIds = async (): Promise<Set<string>> => new Set((await acks()).map((a) => a.assignmentId));

const heldBy = async (consumer: string): Promise<number> => {
  const rows = (await ctx.redis.xpending(
    keys.assignments(DOMAIN),
    GROUPS.runners,
    '-',
    '+',
    100,
    consumer,
  )) as unknown[];
  return rows.length;
};

describe('env runner recovery, as processes', () => {
  it('when a runner is killed while holding work, a second runner completes it after the claim timeout', async () => {
    const first = await startServiceProcess(
      'env-runner',
      env('doomed', { RUNNER_CONCURRENCY: '2', RUNNER_CLAIM_IDLE_MS: '300' }),
    );
    await publish(4, { kind: 'sleep', payload: { ms: 1500 } });
    await eventually(async () => ((await heldBy('doomed')) === 2 ? true : undefined));
    await first.stop('SIGKILL');

    const second = await startServiceProcess(
      'env-runner',
      env('survivor', { RUNNER_CONCURRENCY: '4', RUNNER_CLAIM_IDLE_MS: '300' }),
    );
    try {
      // Delivery is at least once: a reclaimed entry may be acked twice; none may be lost.
      const done = await eventually(async () => ((await ackedIds()).size >= 4 ? acks() : undefined));
      expect([...new Set(done.map((a) => a.assignmentId))].sort()).toEqual([
        'run:t0:1',
        'run:t1:1',
        'run:t2:1',
        'run:t3:1',
      ]);
      expect(new Set(done.map((a) => a.runnerId))).toEqual(new Set(['survivor']));
      expect(done.every((a) => a.success)).toBe(true);
      await eventually(async () =>
        ((await ctx.redis.xpending(keys.assignments(DOMAIN), GROUPS.runners)) as [number])[0] === 0 ? true : undefined,
      );
    } finally {
      await second.stop();
    }
  });

  it('when SIGTERM arrives during work, in-flight work finishes and is acked, the rest is left for others, and nothing is lost', async () => {
    const first = await startServiceProcess(
      'env-runner',
      env('leaving', { RUNNER_CONCURRENCY: '2', RUNNER_SHUTDOWN_GRACE_MS: '5000' }),
    );
    await publish(5, { kind: 'sleep', payload: { ms: 400 } });
    await eventually(async () => ((await heldBy('leaving')) === 2 ? true : undefined));
    expect(await first.stop('SIGTERM')).toBe(0);
    const afterFirst = await acks();
    expect(afterFirst.length).toBeGreaterThanOrEqual(2);
    expect(afterFirst.every((a) => a.runnerId === 'leaving' && a.success)).toBe(true);
    expect(await heldBy('leaving')).toBe(0);

    const second = await startServiceProcess('env-runner', env('staying'));
    try {
      // Every assignment acked at least once (a duplicate is legal under at-least-once), none lost.
      const ids = await eventually(async () => {
        const acked = await ackedIds();
        return acked.size >= 5 ? acked : undefined;
      });
      expect([...ids].sort()).toEqual(['run:t0:1', 'run:t1:1', 'run:t2:1', 'run:t3:1', 'run:t4:1']);
    } finally {
      await second.stop();
    }
  });
});
