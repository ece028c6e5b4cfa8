import { readAcks } from '@mesh/mesh-harness';
import { createKeys, PROTOCOL_EXAMPLES, type Ack, type Assignment, type MeshKeys } from '@mesh/mesh-protocol';
import { createRedisTestContext, TEST_REDIS_URL, type RedisTestContext } from '@mesh/testing';

/** The domain the process specs run their runners in. */
export const DOMAIN = 'batch';

/**
 * A domain of built env runners on the test's own key prefix, set up and cleaned for each test: their env,
 * a way to publish raw assignments onto the domain's stream, and the acks the runners wrote.
 */
export function useRunnerDomain(label: string): {
  readonly ctx: RedisTestContext;
  readonly keys: MeshKeys;
  env(runnerId: string, extra?: Record<string, string>): Record<string, string>;
  publish(count: number, over: Partial<Assignment>): Promise<void>;
  acks(): Promise<Ack[]>;
} {
  let ctx: RedisTestContext;
  let keys: MeshKeys;
  beforeEach(() => {
    ctx = createRedisTestContext(label);
    keys = createKeys(ctx.prefix);
  });
  afterEach(() => ctx.cleanup());
  return {
    get ctx() {
      return ctx;
    },
    get keys() {
      return keys;
    },
    env: (runnerId, extra = {}) => ({
      REDIS_URL: TEST_REDIS_URL,
      RUNNER_LISTEN: '127.0.0.1:0',
      MESH_STREAM_PREFIX: ctx.prefix,
      MESH_DOMAIN: DOMAIN,
      RUNNER_ID: runnerId,
      RUNNER_BLOCK_MS: '200',
      RUNNER_HARDWARE_INTERVAL_MS: '0',
      ...extra,
    }),
    async publish(count, over) {
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
    },
    acks: () => readAcks(ctx.redis, keys.acks),
  };
}
