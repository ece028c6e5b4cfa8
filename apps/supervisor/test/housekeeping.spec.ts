import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import { createLogger } from '@mesh/logging';
import { createSupervisorMetrics } from '@mesh/metrics-schema';
import { createKeys, type MeshKeys } from '@mesh/mesh-protocol';
import { sample } from '@mesh/mesh-harness';
import { createRedisTestContext, type RedisTestContext } from '@mesh/testing';
import { RunnerDirectory } from '../src/dispatch/runner-directory';
import { StreamTrimmer } from '../src/housekeeping/stream-trimmer';

let ctx: RedisTestContext;
let keys: MeshKeys;
let logs: Array<Record<string, unknown>>;
const logger = () =>
  createLogger({
    service: 'supervisor',
    destination: new Writable({
      write: (chunk: Buffer, _e, done) => {
        logs.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    }),
  });

beforeEach(() => {
  ctx = createRedisTestContext('housekeeping');
  keys = createKeys(ctx.prefix);
  logs = [];
});
afterEach(() => ctx.cleanup());

const registration = (domain: unknown, lastSeen: number, leaseMs?: number): string =>
  JSON.stringify({ domain, lastSeen, startedAt: lastSeen, hardware: null, ...(leaseMs ? { leaseMs } : {}) });

describe('housekeeping', () => {
  it('when a runner registration is malformed, stream trimming skips it, logs it with a count, and trims every stream', async () => {
    const registry = new Registry();
    const metrics = createSupervisorMetrics(registry);
    const trimmer = new StreamTrimmer({
      redis: ctx.redis,
      keys,
      intervalMs: 0,
      domains: () => ['default'],
      metrics,
      logger: logger(),
    });
    const now = Date.now();
    await ctx.redis.hset(keys.runners, {
      'gpu-1': registration('gpu', now),
      odd: registration('not a domain {x}', now),
      broken: '{not json',
    });
    // Two acknowledged entries on each of two domain streams and on mesh:acks.
    for (const stream of [keys.assignments('gpu'), keys.assignments('default'), keys.acks]) {
      await ctx.redis.xgroup('CREATE', stream, 'g', '0', 'MKSTREAM');
      const ids = [await ctx.redis.xadd(stream, '*', 'i', '1'), await ctx.redis.xadd(stream, '*', 'i', '2')];
      await ctx.redis.xreadgroup('GROUP', 'g', 'c', 'COUNT', 10, 'STREAMS', stream, '>');
      await ctx.redis.xack(stream, 'g', ...(ids as string[]));
    }

    expect(await trimmer.trimOnce()).toBe(6);
    const warning = logs.find((l) => l['msg'] === 'malformed runner registrations skipped');
    expect(warning?.['malformed']).toBe(2);
    const text = await registry.metrics();
    expect(sample(text, 'supervisor_stream_trimmed_entries_total{stream="assignments"}')).toBe(4);
    expect(sample(text, 'supervisor_stream_trimmed_entries_total{stream="acks"}')).toBe(2);
  });

  it('when a runner is silent for longer than its lease, its registration is removed; live runners stay, their worker series at 0', async () => {
    let clock = 100_000;
    const registry = new Registry();
    const directory = new RunnerDirectory({
      redis: ctx.redis,
      keys,
      refreshMs: 0,
      defaultLeaseMs: 15_000,
      metrics: createSupervisorMetrics(registry),
      logger: logger(),
      now: () => clock,
    });
    await ctx.redis.hset(keys.runners, {
      live: registration('cpu', 99_000, 5000),
      gone: registration('cpu', 90_000, 5000),
      'default-lease': registration('cpu', 90_000),
      malformed: '{not json',
    });
    expect(await directory.hasLiveRunner('cpu')).toBe(true);
    // A live runner's worker series start at 0, so rate() sees its first failure.
    expect(await registry.metrics()).toContain('supervisor_worker_task_failures_total{worker="live"} 0');
    expect(Object.keys(await ctx.redis.hgetall(keys.runners)).sort()).toEqual(['default-lease', 'live', 'malformed']);
    expect(logs.filter((l) => l['msg']?.toString().includes('registration removed')).map((l) => l['runnerId'])).toEqual(
      ['gone'],
    );

    clock = 106_000;
    expect(await directory.hasLiveRunner('cpu')).toBe(false);
    expect(Object.keys(await ctx.redis.hgetall(keys.runners))).toEqual(['malformed']);
  });
});
