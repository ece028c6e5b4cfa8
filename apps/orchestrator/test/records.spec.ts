import { createKeys, PROTOCOL_EXAMPLES, type RunEvent, type Submission } from '@mesh/mesh-protocol';
import { createRedisTestContext, type RedisTestContext } from '@mesh/testing';
import { RecordStore } from '../src/records/record-store';

let ctx: RedisTestContext;
let store: RecordStore;

beforeEach(() => {
  ctx = createRedisTestContext('records');
  store = new RecordStore(ctx.redis, createKeys(ctx.prefix), 60_000);
});
afterEach(() => ctx.cleanup());

const submission = (runId: string): Submission => ({
  ...PROTOCOL_EXAMPLES.submission,
  runId,
  submittedAt: Date.now(),
  tasks: [
    { id: 'a', kind: 'echo', payload: null, dependsOn: [], retries: 1, timeoutMs: 1000 },
    { id: 'b', kind: 'echo', payload: null, dependsOn: ['a'], retries: 0, timeoutMs: 1000 },
  ],
});

const ev = (runId: string, type: RunEvent['type'], extra: Partial<RunEvent> = {}): RunEvent => ({
  runId,
  workflow: 'etl',
  type,
  at: 100,
  ...extra,
});
const hw = { runnerId: 'gpu-1', gpus: [{ index: 0, vendor: 'NVIDIA', model: 'NVIDIA H100 80GB HBM3' }] };
const hardwareOf = (id: string) => (id === 'gpu-1' ? hw : undefined);

/** A run whose first task fails once, is retried, succeeds, and whose second task then fails. */
const story = (runId: string): RunEvent[] => [
  ev(runId, 'run-started', { at: 10, domain: 'gpu' }),
  ev(runId, 'task-dispatched', { at: 11, taskId: 'a', attempt: 1, domain: 'gpu' }),
  ev(runId, 'task-retrying', { at: 12, taskId: 'a', attempt: 1, runnerId: 'gpu-1', error: 'flaky' }),
  ev(runId, 'task-dispatched', { at: 13, taskId: 'a', attempt: 2, domain: 'gpu' }),
  ev(runId, 'task-succeeded', { at: 14, taskId: 'a', attempt: 2, runnerId: 'gpu-1' }),
  ev(runId, 'task-dispatched', { at: 15, taskId: 'b', attempt: 1, domain: 'gpu' }),
  ev(runId, 'task-failed', { at: 16, taskId: 'b', attempt: 1, runnerId: 'gpu-1', error: 'boom' }),
  ev(runId, 'run-failed', { at: 17, error: 'task b: boom' }),
];

const expected = (runId: string) => ({
  runId,
  status: 'failed',
  domain: 'gpu',
  startedAt: 10,
  finishedAt: 17,
  error: 'task b: boom',
  tasks: [
    {
      id: 'a',
      status: 'succeeded',
      attempts: 2,
      domain: 'gpu',
      runnerId: 'gpu-1',
      hardware: hw,
      startedAt: 13,
      finishedAt: 14,
    },
    {
      id: 'b',
      status: 'failed',
      attempts: 1,
      domain: 'gpu',
      runnerId: 'gpu-1',
      hardware: hw,
      error: 'boom',
      startedAt: 15,
      finishedAt: 16,
    },
  ],
});

describe('run records', () => {
  it("when a run's events are applied in order, the record tells its whole story with runner and hardware per task", async () => {
    await store.create(submission('r1'));
    const results = await store.apply(story('r1'), hardwareOf);
    expect(results.filter((r) => r.finished)).toEqual([{ outcome: 'applied', finished: 'failed' }]);
    expect(await store.get('r1')).toMatchObject(expected('r1'));
  });

  it('when every event is applied twice, the record is the same and the run finishes once', async () => {
    await store.create(submission('r2'));
    const events = story('r2');
    await store.apply(events, hardwareOf);
    const again = await store.apply(events, hardwareOf);
    expect(again.map((r) => r.outcome)).toEqual(events.map(() => 'duplicate'));
    expect(await store.get('r2')).toMatchObject(expected('r2'));
  });

  it('when events arrive out of order (two orchestrators), the record ends the same', async () => {
    await store.create(submission('r3'));
    const events = story('r3');
    const shuffled = [
      events[6],
      events[4],
      events[1],
      events[7],
      events[3],
      events[0],
      events[2],
      events[5],
    ] as RunEvent[];
    const other = new RecordStore(ctx.connect('second-orchestrator'), createKeys(ctx.prefix), 60_000);
    await Promise.all([store.apply(shuffled.slice(0, 4), hardwareOf), other.apply(shuffled.slice(4), hardwareOf)]);
    expect(await store.get('r3')).toMatchObject(expected('r3'));
  });

  it('when a dependency fails, the skipped task shows skipped with the reason', async () => {
    await store.create(submission('r4'));
    await store.apply(
      [
        ev('r4', 'task-failed', { taskId: 'a', attempt: 1, error: 'x' }),
        ev('r4', 'task-skipped', { taskId: 'b', error: 'dependency a failed' }),
      ],
      hardwareOf,
    );
    expect((await store.get('r4'))?.tasks[1]).toMatchObject({
      id: 'b',
      status: 'skipped',
      attempts: 0,
      error: 'dependency a failed',
    });
  });

  it('when an event names a run without a record, it is reported as unknown and nothing is created', async () => {
    expect(await store.apply([ev('ghost', 'run-started')], hardwareOf)).toEqual([{ outcome: 'unknown_run' }]);
    expect(await store.get('ghost')).toBeUndefined();
  });

  it('when a record is written, it expires after the retention period', async () => {
    await store.create(submission('r5'));
    await store.apply(story('r5'), hardwareOf);
    const ttl = await ctx.redis.pttl(createKeys(ctx.prefix).record('r5', 'tasks'));
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });
});
