import {
  createKeys,
  MAX_TASKS_PER_RUN,
  PROTOCOL_EXAMPLES,
  type Submission,
  type SubmissionTask,
} from '@mesh/mesh-protocol';
import { createRedisTestContext, type RedisTestContext } from '@mesh/testing';
import { Schedule } from '../src/dispatch/schedule';
import { RunStore } from '../src/state/run-store';

let ctx: RedisTestContext;
let store: RunStore;

beforeEach(() => {
  ctx = createRedisTestContext('run-store');
  store = new RunStore(ctx.redis, createKeys(ctx.prefix), 60_000, () => 1000);
});
afterEach(() => ctx.cleanup());

const task = (id: string, dependsOn: string[] = [], retries = 0): SubmissionTask => ({
  id,
  kind: 'echo',
  payload: { id },
  dependsOn,
  retries,
  timeoutMs: 1000,
});
const submission = (runId: string, tasks: SubmissionTask[]): Submission => ({
  ...PROTOCOL_EXAMPLES.submission,
  runId,
  tasks,
});
const ok = (runId: string, taskId: string, attempt = 1) => ({
  runId,
  taskId,
  attempt,
  success: true,
  allowRetry: true,
});
const bad = (runId: string, taskId: string, attempt = 1, allowRetry = true) => ({
  runId,
  taskId,
  attempt,
  success: false,
  error: 'boom',
  allowRetry,
});

describe('run store', () => {
  it('when a diamond DAG runs, each task becomes ready only once all its dependencies succeeded, and the run succeeds', async () => {
    const created = await store.create(
      submission('r1', [task('a'), task('b', ['a']), task('c', ['a']), task('d', ['b', 'c'])]),
      'east',
      'override',
    );
    expect(created).toEqual({ created: true, runStatus: 'running', ready: [{ taskId: 'a', attempt: 1 }] });
    const [afterA] = await store.settleMany([ok('r1', 'a')]);
    expect(afterA?.ready).toEqual([
      { taskId: 'b', attempt: 1 },
      { taskId: 'c', attempt: 1 },
    ]);
    const [afterB] = await store.settleMany([ok('r1', 'b')]);
    expect(afterB?.ready).toEqual([]);
    const [afterC] = await store.settleMany([ok('r1', 'c')]);
    expect(afterC?.ready).toEqual([{ taskId: 'd', attempt: 1 }]);
    const [afterD] = await store.settleMany([ok('r1', 'd')]);
    expect([afterD?.outcome, afterD?.runStatus, afterD?.finishedRun]).toEqual(['applied', 'succeeded', true]);
    expect(await store.meta('r1')).toMatchObject({
      status: 'succeeded',
      done: '4',
      failed: '0',
      domain: 'east',
      route: 'override',
      finishedAt: '1000',
    });
    expect(await ctx.redis.pttl(store.runKeys('r1')[0] as string)).toBeGreaterThan(0);
  });

  it('when a task fails with no retries left, its dependants are skipped, independent work goes on, and the run fails', async () => {
    await store.create(submission('r2', [task('a'), task('b', ['a']), task('c', ['b']), task('x')]), 'east', 'default');
    const [failed] = await store.settleMany([bad('r2', 'a')]);
    expect([failed?.outcome, failed?.taskStatus, failed?.skipped, failed?.runStatus]).toEqual([
      'applied',
      'failed',
      ['b', 'c'],
      'running',
    ]);
    const [last] = await store.settleMany([ok('r2', 'x')]);
    expect([last?.runStatus, last?.finishedRun]).toEqual(['failed', true]);
    expect(await store.meta('r2')).toMatchObject({ status: 'failed', error: 'task a: boom' });
    expect(await store.taskStatuses('r2')).toEqual({ a: 'failed', b: 'skipped', c: 'skipped', x: 'succeeded' });
  });

  it('when a task with retries fails, it is ready again with the next attempt; the last failure is final', async () => {
    await store.create(submission('r3', [task('a', [], 1)]), 'east', 'default');
    const [retry] = await store.settleMany([bad('r3', 'a', 1)]);
    expect([retry?.outcome, retry?.ready]).toEqual(['retry', [{ taskId: 'a', attempt: 2 }]]);
    const [late] = await store.settleMany([ok('r3', 'a', 1)]);
    expect(late?.outcome).toBe('duplicate');
    const [final] = await store.settleMany([bad('r3', 'a', 2)]);
    expect([final?.outcome, final?.runStatus]).toEqual(['applied', 'failed']);
  });

  it('when retrying cannot help, a failure is final even with retries left', async () => {
    await store.create(submission('r4', [task('a', [], 3)]), 'east', 'default');
    const [final] = await store.settleMany([bad('r4', 'a', 1, false)]);
    expect([final?.outcome, final?.runStatus]).toEqual(['applied', 'failed']);
  });

  it('when the same ack is applied twice, the second changes nothing and reports the ready children again', async () => {
    await store.create(submission('r5', [task('a'), task('b', ['a'])]), 'east', 'default');
    const [first, second] = await store.settleMany([ok('r5', 'a'), ok('r5', 'a')]);
    expect(first?.outcome).toBe('applied');
    expect([second?.outcome, second?.ready]).toEqual(['duplicate', [{ taskId: 'b', attempt: 1 }]]);
    expect(await store.meta('r5')).toMatchObject({ done: '1' });
  });

  it('when a run is created twice, the second call keeps its state and reports the tasks still ready', async () => {
    const s = submission('r6', [task('a'), task('b')]);
    await store.create(s, 'east', 'default');
    await store.settleMany([ok('r6', 'a')]);
    expect(await store.create(s, 'east', 'default')).toEqual({
      created: false,
      runStatus: 'running',
      ready: [{ taskId: 'b', attempt: 1 }],
    });
  });

  it('when an attempt is marked dispatched after it was already settled, nothing changes', async () => {
    await store.create(submission('r7', [task('a'), task('b')]), 'east', 'default');
    await store.settleMany([ok('r7', 'a')]);
    expect(
      await store.markDispatched([
        { runId: 'r7', taskId: 'a', attempt: 1 },
        { runId: 'r7', taskId: 'b', attempt: 1 },
      ]),
    ).toEqual([false, true]);
    expect(await store.taskStatuses('r7')).toEqual({ a: 'succeeded', b: 'dispatched' });
  });

  it('when a run has the most tasks a submission allows (100,000), all are created ready in one call', async () => {
    const tasks = Array.from({ length: MAX_TASKS_PER_RUN }, (_, i) => task(`t${i}`));
    const created = await store.create(submission('r8', tasks), 'east', 'default');
    expect(created.ready).toHaveLength(MAX_TASKS_PER_RUN);
  });
});

describe('schedule', () => {
  it('when 100,000 entries are added and removed at once, the commands stay bounded and every entry lands and leaves', async () => {
    const keys = createKeys(ctx.prefix);
    const schedule = new Schedule(ctx.redis, store, keys.schedule);
    const entries = Array.from({ length: MAX_TASKS_PER_RUN }, (_, i) => ({
      entry: { kind: 'dispatch' as const, runId: 'r', taskId: `t${i}`, attempt: 1 },
      at: i,
    }));
    await schedule.add(entries);
    expect(await ctx.redis.zcard(keys.schedule)).toBe(MAX_TASKS_PER_RUN);
    expect(await schedule.due(MAX_TASKS_PER_RUN)).toBe(MAX_TASKS_PER_RUN);
    await schedule.remove(entries.map((e) => `d|r|${e.entry.taskId}|1`));
    expect(await ctx.redis.zcard(keys.schedule)).toBe(0);
  });
});
