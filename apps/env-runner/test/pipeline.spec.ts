import { readAcks } from '@mesh/mesh-harness';
import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import { createLogger } from '@mesh/logging';
import { createEnvRunnerMetrics } from '@mesh/metrics-schema';
import {
  createKeys,
  decodeEntry,
  GROUPS,
  PROTOCOL_EXAMPLES,
  type Ack,
  type Assignment,
  type MeshKeys,
} from '@mesh/mesh-protocol';
import { createRedisTestContext, eventually, type RedisTestContext } from '@mesh/testing';
import { createAssignmentPipeline } from '../src/execution/pipeline';
import type { TaskHandler } from '../src/tasks/handler';
import { builtinHandlers, HandlerRegistry } from '../src/tasks/registry';

const DOMAIN = 'gpu-east';
let ctx: RedisTestContext;
let keys: MeshKeys;
let stream: string;

beforeEach(() => {
  ctx = createRedisTestContext('runner');
  keys = createKeys(ctx.prefix);
  stream = keys.assignments(DOMAIN);
});
afterEach(() => ctx.cleanup());

function pipeline(
  opts: {
    runnerId?: string;
    concurrency?: number;
    claimIdleMs?: number;
    maxDeliveries?: number;
    extra?: TaskHandler[];
  } = {},
) {
  const registry = new Registry();
  const metrics = createEnvRunnerMetrics(registry);
  const lines: string[] = [];
  const logger = createLogger({
    service: 'env-runner',
    // Per-assignment lines ("assignment done") are at debug.
    level: 'debug',
    destination: new Writable({ write: (c, _e, done) => (lines.push(String(c)), done()) }),
  });
  const p = createAssignmentPipeline({
    keys,
    domain: DOMAIN,
    runnerId: opts.runnerId ?? 'runner-a',
    redis: ctx.redis,
    blocking: ctx.connect('blocking'),
    handlers: new HandlerRegistry([
      ...builtinHandlers({ allow: [], outputLimitBytes: 1024, env: {} }),
      ...(opts.extra ?? []),
    ]),
    metrics,
    logger,
    concurrency: opts.concurrency ?? 4,
    blockMs: 100,
    claimIdleMs: opts.claimIdleMs ?? 10_000,
    maxDeliveries: opts.maxDeliveries ?? 5,
    outputLimitBytes: 4096,
  });
  return { ...p, registry, lines, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

/** Writes an assignment exactly as a worker in another language sees it: XADD with v and a JSON field. */
function rawAssignment(over: Partial<Assignment>): Promise<string> {
  const a = { ...PROTOCOL_EXAMPLES.assignment, domain: DOMAIN, ...over };
  return ctx.redis.xadd(stream, '*', 'v', '1', 'assignment', JSON.stringify(a)) as Promise<string>;
}

async function acks(): Promise<Ack[]> {
  return readAcks(ctx.redis, keys.acks);
}

const ackCount = (n: number) => async () => ((await acks()).length >= n ? acks() : undefined);
const pending = async (): Promise<number> => ((await ctx.redis.xpending(stream, GROUPS.runners)) as [number])[0];

describe('assignment pipeline', () => {
  it('when an assignment is written raw per the wire protocol, it is executed, acked on mesh:acks, then XACKed', async () => {
    const p = pipeline();
    await p.consumer.ensureGroup();
    p.runner.start();
    await rawAssignment({
      assignmentId: 'run-1:t1:1',
      runId: 'run-1',
      taskId: 't1',
      kind: 'echo',
      payload: { greeting: 'hi' },
    });
    const [ack] = await eventually(ackCount(1));
    expect(ack).toMatchObject({
      assignmentId: 'run-1:t1:1',
      runId: 'run-1',
      taskId: 't1',
      attempt: 1,
      runnerId: 'runner-a',
      success: true,
      output: { greeting: 'hi' },
    });
    expect(typeof ack?.latencyMs).toBe('number');
    await eventually(async () => ((await pending()) === 0 ? true : undefined));
    const text = await p.registry.metrics();
    expect(text).toContain('env_runner_assignments_processed_total{kind="echo"} 1');
    expect(text).toContain('env_runner_assignment_latency_seconds_count{kind="echo"} 1');
    expect(p.records().find((r) => r['msg'] === 'assignment done')).toMatchObject({
      assignmentId: 'run-1:t1:1',
      runId: 'run-1',
      taskId: 't1',
      success: true,
    });
    await p.runner.stop(1000);
  });

  it('when a malformed entry arrives, it is dead-lettered and counted and the next assignment still runs', async () => {
    const p = pipeline();
    await p.consumer.ensureGroup();
    p.runner.start();
    const bad = await ctx.redis.xadd(stream, '*', 'v', '1', 'assignment', '{"assignmentId": 42');
    await rawAssignment({ kind: 'fail', payload: { message: 'nope' } });
    const [ack] = await eventually(ackCount(1));
    expect([ack?.success, ack?.error]).toEqual([false, 'nope']);
    const dead = await ctx.redis.xrange(keys.dead, '-', '+');
    expect(dead).toHaveLength(1);
    const letter = decodeEntry('dead', dead[0]?.[1]);
    expect(letter.ok && [letter.message.entryId, letter.message.reason]).toEqual([bad, 'malformed_json']);
    const text = await p.registry.metrics();
    expect(text).toContain('env_runner_dead_letters_total{reason="malformed_json"} 1');
    expect(text).toContain('env_runner_assignments_failed_total{kind="fail",reason="error"} 1');
    await eventually(async () => ((await pending()) === 0 ? true : undefined));
    await p.runner.stop(1000);
  });

  it('when an assignment kind is shaped like a UUID, it is acked as an unknown kind, counted under _other, and the runner goes on', async () => {
    const p = pipeline({ claimIdleMs: 100, maxDeliveries: 2 });
    await p.consumer.ensureGroup();
    p.runner.start();
    const kind = '3f1c2b9e-8a4d-4c1e-9b7a-2d6f0e5a1c33';
    await rawAssignment({ assignmentId: 'uuid:t:1', kind });
    await rawAssignment({ assignmentId: 'uuid:t2:1', kind: 'echo', payload: 'after' });
    const done = await eventually(ackCount(2));
    expect(Object.fromEntries(done.map((a) => [a.assignmentId, [a.success, a.error ?? a.output]]))).toEqual({
      'uuid:t:1': [false, `unknown task kind "${kind}" (this runner has: sleep, echo, fail)`],
      'uuid:t2:1': [true, 'after'],
    });
    await eventually(async () => ((await pending()) === 0 ? true : undefined));
    const text = await p.registry.metrics();
    expect(text).toContain('env_runner_assignments_failed_total{kind="_other",reason="unknown_kind"} 1');
    expect(text).toContain('env_runner_assignments_processed_total{kind="_other"} 1');
    expect(text).not.toContain(kind);
    await p.runner.stop(1000);
  });

  it('when a runner died holding an assignment, this runner reclaims it after the claim timeout and acks it', async () => {
    const p = pipeline({ claimIdleMs: 100 });
    await p.consumer.ensureGroup();
    await rawAssignment({ kind: 'echo', payload: 1 });
    // A peer reads it and dies without acking.
    await ctx.redis.xreadgroup('GROUP', GROUPS.runners, 'dead-peer', 'COUNT', 10, 'STREAMS', stream, '>');
    p.runner.start();
    const [ack] = await eventually(ackCount(1));
    expect([ack?.success, ack?.runnerId]).toEqual([true, 'runner-a']);
    expect(p.records().find((r) => r['msg'] === 'assignment done')?.['deliveries']).toBe(2);
    await p.runner.stop(1000);
  });

  it('when an assignment is past the delivery limit, it is acked as failed and dead-lettered', async () => {
    const p = pipeline({ claimIdleMs: 50, maxDeliveries: 1 });
    await p.consumer.ensureGroup();
    await rawAssignment({ assignmentId: 'poison:t:1', kind: 'echo' });
    await ctx.redis.xreadgroup('GROUP', GROUPS.runners, 'crashed-peer', 'COUNT', 10, 'STREAMS', stream, '>');
    p.runner.start();
    const [ack] = await eventually(ackCount(1));
    expect([ack?.assignmentId, ack?.success, ack?.error]).toEqual([
      'poison:t:1',
      false,
      'gave up after 2 deliveries (limit 1)',
    ]);
    await eventually(async () => ((await ctx.redis.xlen(keys.dead)) === 1 ? true : undefined));
    expect(await pending()).toBe(0);
    expect(await p.registry.metrics()).toContain(
      'env_runner_assignments_failed_total{kind="echo",reason="delivery_limit"} 1',
    );
    await p.runner.stop(1000);
  });

  it('when many assignments wait, no more than RUNNER_CONCURRENCY run at once and all are acked', async () => {
    let running = 0;
    let peak = 0;
    const probe: TaskHandler = {
      kind: 'probe',
      run: async () => {
        peak = Math.max(peak, ++running);
        await new Promise((r) => setTimeout(r, 15));
        running--;
        return null;
      },
    };
    const p = pipeline({ concurrency: 3, extra: [probe] });
    await p.consumer.ensureGroup();
    for (let i = 0; i < 20; i++) await rawAssignment({ assignmentId: `r:t${i}:1`, taskId: `t${i}`, kind: 'probe' });
    p.runner.start();
    const all = await eventually(ackCount(20));
    expect(new Set(all.map((a) => a.assignmentId)).size).toBe(20);
    expect(peak).toBe(3);
    await p.runner.stop(1000);
  });

  it('when stopped with work in flight, that work finishes and is acked within the grace period', async () => {
    const p = pipeline({ concurrency: 3 });
    await p.consumer.ensureGroup();
    for (let i = 0; i < 3; i++)
      await rawAssignment({ assignmentId: `r:s${i}:1`, taskId: `s${i}`, kind: 'sleep', payload: { ms: 150 } });
    p.runner.start();
    await eventually(async () => (p.runner.inFlight === 3 ? true : undefined));
    const { abandoned } = await p.runner.stop(5000);
    await p.acks.flush();
    expect(abandoned).toBe(0);
    expect((await acks()).map((a) => a.success)).toEqual([true, true, true]);
    expect(await pending()).toBe(0);
  });

  it('when the grace period runs out, unfinished work is not acked and stays pending for another runner', async () => {
    const p = pipeline({ concurrency: 2 });
    await p.consumer.ensureGroup();
    for (let i = 0; i < 2; i++)
      await rawAssignment({ assignmentId: `r:l${i}:1`, taskId: `l${i}`, kind: 'sleep', payload: { ms: 60_000 } });
    p.runner.start();
    await eventually(async () => (p.runner.inFlight === 2 ? true : undefined));
    const { abandoned } = await p.runner.stop(30);
    await p.acks.flush();
    expect(abandoned).toBe(2);
    expect(await acks()).toEqual([]);
    expect(await pending()).toBe(2);
  });
});
