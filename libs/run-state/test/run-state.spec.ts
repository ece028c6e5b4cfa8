import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createKeys,
  MAX_TASKS_PER_RUN,
  PROTOCOL_EXAMPLES,
  type MeshKeys,
  type Submission,
  type SubmissionTask,
} from '@mesh/mesh-protocol';
import { createRedisTestContext, type RedisTestContext } from '@mesh/testing';
import { RunState, TASK_STATUSES, RUN_STATUSES, type SettleInput } from '../src';
import { withIncludes } from '../src/scripts';

let ctx: RedisTestContext;
let keys: MeshKeys;
let state: RunState;
let clock = 1000;

beforeEach(() => {
  ctx = createRedisTestContext('run-state');
  keys = createKeys(ctx.prefix);
  clock = 1000;
  state = new RunState(ctx.redis, keys, { finishedTtlMs: 60_000, now: () => clock });
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
  submittedAt: 900,
});
const ok = (runId: string, taskId: string, output?: unknown, attempt = 1): SettleInput => ({
  runId,
  taskId,
  attempt,
  success: true,
  allowRetry: true,
  ...(output === undefined ? {} : { outputJson: JSON.stringify(output) }),
  runnerId: 'r-1',
});
const bad = (runId: string, taskId: string, attempt = 1, allowRetry = true): SettleInput => ({
  runId,
  taskId,
  attempt,
  success: false,
  error: 'boom',
  allowRetry,
});
const started = async (s: Submission) => {
  expect(await state.create(s)).toBe('created');
  return state.start(s.runId, { domain: 'east', route: 'override', replay: false });
};

describe('run state', () => {
  it('when a run is created, it is queued with every task pending, and GET-able at once', async () => {
    await state.create(submission('r0', [task('a'), task('b', ['a'])]));
    const record = await state.record('r0');
    expect(record).toMatchObject({ runId: 'r0', status: 'queued', submittedAt: 900, hardware: {}, runners: {} });
    expect(record?.tasks.map((t) => [t.id, t.status, t.attempts, t.waitingFor])).toEqual([
      ['a', 'pending', 0, undefined],
      ['b', 'pending', 0, ['a']],
    ]);
    expect(record?.counts).toMatchObject({ pending: 2, queued: 0 });
  });

  it('when a diamond DAG runs, each task is queued only once all its dependencies succeeded, with their outputs as inputs, and the run succeeds', async () => {
    const s = submission('r1', [task('a'), task('b', ['a']), task('c', ['a']), task('d', ['b', 'c'])]);
    const start = await started(s);
    expect([start.outcome, start.runStatus, start.route]).toEqual([
      'started',
      'running',
      { workflow: s.workflow, tenant: s.tenant, domain: 'east', route: 'override' },
    ]);
    expect(start.queued).toEqual([
      { taskId: 'a', attempt: 1, spec: { kind: 'echo', payload: { id: 'a' }, timeoutMs: 1000 } },
    ]);
    const hw = { runnerId: 'r-1', collectedAt: 1 };
    const [afterA] = await state.settle([ok('r1', 'a', { x: 1 })], (id) => (id === 'r-1' ? hw : undefined));
    expect(afterA?.queued.map((q) => [q.taskId, q.inputs])).toEqual([
      ['b', { a: { x: 1 } }],
      ['c', { a: { x: 1 } }],
    ]);
    const [afterB] = await state.settle([ok('r1', 'b', 'bee')]);
    expect(afterB?.queued).toEqual([]);
    const [afterC] = await state.settle([ok('r1', 'c')]);
    expect(afterC?.queued.map((q) => [q.taskId, q.inputs])).toEqual([['d', { b: 'bee', c: null }]]);
    clock = 2000;
    const [afterD] = await state.settle([ok('r1', 'd')]);
    expect([afterD?.outcome, afterD?.runStatus, afterD?.finishedRun]).toEqual(['applied', 'succeeded', true]);
    const record = await state.record('r1');
    expect(record).toMatchObject({
      status: 'succeeded',
      domain: 'east',
      route: 'override',
      startedAt: 1000,
      finishedAt: 2000,
    });
    expect(record?.counts).toMatchObject({ succeeded: 4, pending: 0, queued: 0, running: 0 });
    expect(record?.tasks.find((t) => t.id === 'a')).toMatchObject({
      status: 'succeeded',
      output: { x: 1 },
      runnerId: 'r-1',
    });
    expect(await ctx.redis.pttl(keys.run('r1', 'meta'))).toBeGreaterThan(0);
    expect(await ctx.redis.pttl(keys.run('r1', 'order'))).toBeGreaterThan(0);
  });

  it('when a runner picks a task up, it shows running on that runner with the real start time and the runner hardware once', async () => {
    await started(submission('r2', [task('a'), task('b')]));
    const hw = { runnerId: 'gpu-1', collectedAt: 5, gpus: [{ index: 0, vendor: 'NVIDIA', model: 'H100' }] };
    const picked = await state.pickup('gpu-1', hw, [
      { runId: 'r2', taskId: 'a', attempt: 1, startedAt: 1234 },
      { runId: 'r2', taskId: 'a', attempt: 2, startedAt: 1234 },
    ]);
    expect(picked).toEqual([true, false]);
    const record = await state.record('r2');
    expect(record?.tasks[0]).toMatchObject({ id: 'a', status: 'running', runnerId: 'gpu-1', startedAt: 1234 });
    expect(record?.runners).toEqual({ 'gpu-1': hw });
    expect(record?.counts).toMatchObject({ running: 1, queued: 1 });
    // Another runner took the attempt over (the first one's lease lapsed): the task now runs there.
    const takeover = [{ runId: 'r2', taskId: 'a', attempt: 1, startedAt: 2000 }];
    expect(await state.pickup('other', null, takeover)).toEqual([true]);
    expect((await state.record('r2'))?.tasks[0]).toMatchObject({
      status: 'running',
      runnerId: 'other',
      startedAt: 2000,
    });
    expect((await state.record('r2'))?.counts).toMatchObject({ running: 1, queued: 1 });
    await state.settle([ok('r2', 'a')]);
    expect(await state.pickup('late', null, takeover)).toEqual([false]);
  });

  it('when a task fails with no retries left, its dependants are skipped, independent work goes on, and the run fails', async () => {
    await started(submission('r3', [task('a'), task('b', ['a']), task('c', ['b']), task('x')]));
    const [failed] = await state.settle([bad('r3', 'a')]);
    expect([failed?.outcome, failed?.taskStatus, failed?.skipped, failed?.runStatus]).toEqual([
      'applied',
      'failed',
      ['b', 'c'],
      'running',
    ]);
    const [last] = await state.settle([ok('r3', 'x')]);
    expect([last?.runStatus, last?.finishedRun]).toEqual(['failed', true]);
    const record = await state.record('r3');
    expect(record).toMatchObject({ status: 'failed', error: 'task a: boom' });
    expect(record?.tasks.map((t) => [t.id, t.status, t.error])).toEqual([
      ['a', 'failed', 'boom'],
      ['b', 'skipped', 'dependency a failed'],
      ['c', 'skipped', 'dependency b failed'],
      ['x', 'succeeded', undefined],
    ]);
  });

  it('when a task with retries fails, it is queued again with the next attempt; a late outcome of the old attempt is a duplicate; the last failure is final', async () => {
    await started(submission('r4', [task('a', [], 1)]));
    // A retry scheduled before the failure that calls for it is settled is early, not gone.
    expect(await state.load([{ runId: 'r4', taskId: 'a', attempt: 2 }])).toEqual(['early']);
    const [retry] = await state.settle([bad('r4', 'a', 1)]);
    expect([retry?.outcome, retry?.taskStatus, retry?.currentAttempt, retry?.queued]).toEqual([
      'retry',
      'queued',
      2,
      [],
    ]);
    const [late] = await state.settle([ok('r4', 'a', undefined, 1)]);
    expect(late?.outcome).toBe('duplicate');
    expect(await state.load([{ runId: 'r4', taskId: 'a', attempt: 2 }])).toEqual([
      {
        route: expect.objectContaining({ domain: 'east' }),
        task: { taskId: 'a', attempt: 2, spec: expect.objectContaining({ kind: 'echo' }) },
      },
    ]);
    expect(await state.load([{ runId: 'r4', taskId: 'a', attempt: 1 }])).toEqual([undefined]);
    const [final] = await state.settle([bad('r4', 'a', 2)]);
    expect([final?.outcome, final?.runStatus]).toEqual(['applied', 'failed']);
    expect(await state.load([{ runId: 'r4', taskId: 'a', attempt: 3 }])).toEqual([undefined]);
  });

  it('when a task fails once and its retry succeeds, the record shows no error; a late ack of an ended, expired run writes nothing', async () => {
    await started(submission('r9', [task('a', [], 1)]));
    await state.settle([bad('r9', 'a', 1)]);
    expect((await state.record('r9'))?.tasks[0]).toMatchObject({ status: 'queued', attempts: 2, error: 'boom' });
    await state.settle([ok('r9', 'a', 'fine', 2)]);
    const record = await state.record('r9');
    expect(record?.tasks[0]).toMatchObject({ status: 'succeeded', output: 'fine' });
    expect(record?.tasks[0]?.error).toBeUndefined();
    await state.discard('r9');
    await state.settle([ok('r9', 'a', 'late', 2)], () => ({ runnerId: 'r-1' }));
    expect(await ctx.redis.exists(...state.runKeys('r9'))).toBe(0);
  });

  it('when retrying cannot help, a failure is final even with retries left', async () => {
    await started(submission('r5', [task('a', [], 3)]));
    const [final] = await state.settle([bad('r5', 'a', 1, false)]);
    expect([final?.outcome, final?.runStatus]).toEqual(['applied', 'failed']);
  });

  it('when the same outcome comes twice, the second changes nothing; only a replay reports the children still queued', async () => {
    await started(submission('r6', [task('a'), task('b', ['a'])]));
    const [first, again] = await state.settle([ok('r6', 'a'), ok('r6', 'a')]);
    expect([first?.outcome, first?.queued.map((q) => q.taskId)]).toEqual(['applied', ['b']]);
    expect([again?.outcome, again?.queued]).toEqual(['duplicate', []]);
    const [replayed] = await state.settle([{ ...ok('r6', 'a'), replay: true }]);
    expect([replayed?.outcome, replayed?.queued.map((q) => q.taskId)]).toEqual(['duplicate', ['b']]);
    expect(await state.meta('r6')).toMatchObject({ done: '1', 'n:succeeded': '1', 'n:queued': '1' });
  });

  it('when a run is started twice, the second start changes nothing; a replayed start reports the tasks still queued', async () => {
    const s = submission('r7', [task('a'), task('b')]);
    await started(s);
    await state.pickup('r-1', null, [{ runId: 'r7', taskId: 'a', attempt: 1, startedAt: 1 }]);
    expect(await state.create(s)).toBe('exists');
    const again = await state.start('r7', { domain: 'west', route: 'default', replay: false });
    expect([again.outcome, again.queued, again.route.domain]).toEqual(['unchanged', [], 'east']);
    const replay = await state.start('r7', { domain: 'west', route: 'default', replay: true });
    expect([replay.outcome, replay.queued.map((q) => q.taskId)]).toEqual(['replayed', ['b']]);
  });

  it('when the run is unknown, start says missing and settle says unknown', async () => {
    expect((await state.start('nope', { domain: 'd', route: 'default', replay: false })).outcome).toBe('missing');
    expect((await state.settle([ok('nope', 'a')]))[0]?.outcome).toBe('unknown');
    expect(await state.record('nope')).toBeUndefined();
  });

  it('when a run has the most tasks a submission allows (100,000), it is created and started, all roots queued', async () => {
    const tasks = Array.from({ length: MAX_TASKS_PER_RUN }, (_, i) => task(`t${i}`));
    const start = await started(submission('r8', tasks));
    expect(start.queued).toHaveLength(MAX_TASKS_PER_RUN);
  });

  it('when a queued run is abandoned, every task fails with the reason and the run ends failed; again, nothing changes', async () => {
    await state.create(submission('ra', [task('a'), task('b', ['a'])]));
    clock = 1500;
    const ended = await state.abandon('ra', 'submission given up after 6 deliveries (delivery limit)');
    expect(ended).toEqual({
      outcome: 'ended',
      runStatus: 'failed',
      workflow: PROTOCOL_EXAMPLES.submission.workflow,
      submittedAt: 900,
      runError: 'submission given up after 6 deliveries (delivery limit)',
      failed: ['a', 'b'],
    });
    const record = await state.record('ra');
    expect(record).toMatchObject({ status: 'failed', finishedAt: 1500, error: ended.runError });
    expect(record?.tasks.map((t) => [t.id, t.status, t.error])).toEqual([
      ['a', 'failed', ended.runError],
      ['b', 'failed', ended.runError],
    ]);
    expect(record?.counts).toMatchObject({ pending: 0, failed: 2 });
    expect(await ctx.redis.pttl(keys.run('ra', 'meta'))).toBeGreaterThan(0);
    expect((await state.abandon('ra', 'again')).outcome).toBe('unchanged');
    expect((await state.abandon('nope', 'x')).outcome).toBe('missing');
  });

  it('when a running run is abandoned, tasks not started fail, a running task still settles, and then the run ends failed', async () => {
    await started(submission('rb', [task('a'), task('b'), task('c', ['a'])]));
    await state.pickup('r-1', null, [{ runId: 'rb', taskId: 'a', attempt: 1, startedAt: 1 }]);
    const abandoned = await state.abandon('rb', 'given up');
    expect([abandoned.outcome, abandoned.runStatus, abandoned.failed]).toEqual(['abandoned', 'running', ['b', 'c']]);
    const [last] = await state.settle([ok('rb', 'a')]);
    expect([last?.outcome, last?.queued, last?.runStatus, last?.finishedRun]).toEqual(['applied', [], 'failed', true]);
    expect((await state.record('rb'))?.error).toBe('given up');
  });

  it('when attempts find no runner, the first check starts their wait and later ones read it; a retry waits afresh', async () => {
    await started(submission('rw', [task('a', [], 1), task('b', ['a'])]));
    const items = [
      { runId: 'rw', taskId: 'a', attempt: 1 },
      { runId: 'rw', taskId: 'b', attempt: 1 },
      { runId: 'rw', taskId: 'a', attempt: 2 },
    ];
    expect(await state.wait(items)).toEqual([{ since: 1000, started: true }, undefined, undefined]);
    clock = 1500;
    expect((await state.wait(items))[0]).toEqual({ since: 1000, started: false });
    await state.settle([bad('rw', 'a', 1)]);
    expect(await state.wait([items[0]!, items[2]!])).toEqual([undefined, { since: 1500, started: true }]);
  });

  it('when the schedule holds due and later entries, its depth counts due dispatches and held waits, never queue deadlines', async () => {
    const schedule = `${ctx.prefix}:schedule`;
    await ctx.redis.zadd(
      schedule,
      10,
      'd|r|a|1',
      20,
      'd|r|b|1',
      10,
      'q|r|c|1|d|1-0',
      500,
      'd|r|held|1',
      600,
      'd|r|retry|2',
    );
    // Due now (15): a. Held back for a runner: held (due later) and gone (no longer there). b and retry are not ready.
    expect(await state.scheduleDepth(schedule, 15, ['d|r|held|1', 'd|r|gone|1'])).toEqual({
      ready: 2,
      gone: ['d|r|gone|1'],
    });
    expect(await state.scheduleDepth(schedule, 1000, [])).toEqual({ ready: 4, gone: [] });
  });

  it('when a running run is cancelled, every task not ended is cancelled, the running ones are named, and late acks change nothing', async () => {
    await started(submission('c1', [task('a'), task('b'), task('c', ['a']), task('d')]));
    await state.settle([ok('c1', 'd', { d: 1 })]);
    await state.pickup('gpu-1', null, [{ runId: 'c1', taskId: 'a', attempt: 1, startedAt: 1100 }]);
    clock = 2000;
    const cancelled = await state.cancel('c1', 'cancelled by a user');
    expect(cancelled).toEqual({
      outcome: 'cancelled',
      runStatus: 'cancelled',
      workflow: PROTOCOL_EXAMPLES.submission.workflow,
      tenant: PROTOCOL_EXAMPLES.submission.tenant,
      running: [{ taskId: 'a', attempt: 1, runnerId: 'gpu-1' }],
    });
    const record = await state.record('c1');
    expect(record).toMatchObject({ status: 'cancelled', finishedAt: 2000, error: 'cancelled by a user' });
    expect(record?.tasks.map((t) => [t.id, t.status])).toEqual([
      ['a', 'cancelled'],
      ['b', 'cancelled'],
      ['c', 'cancelled'],
      ['d', 'succeeded'],
    ]);
    expect(record?.counts).toMatchObject({ cancelled: 3, succeeded: 1, pending: 0, queued: 0, running: 0 });
    expect(record?.tasks.every((t) => t.waiting === undefined)).toBe(true);
    // The runner's late ack of the aborted attempt, and a queued attempt's, settle nothing.
    const late = await state.settle([ok('c1', 'a'), ok('c1', 'b')]);
    expect(late.map((r) => [r.outcome, r.runStatus])).toEqual([
      ['duplicate', 'cancelled'],
      ['duplicate', 'cancelled'],
    ]);
    expect((await state.record('c1'))?.counts).toMatchObject({ cancelled: 3, succeeded: 1 });
    // Finished runs expire like any other; cancelling again is refused as finished.
    expect(await ctx.redis.pttl(keys.run('c1', 'meta'))).toBeGreaterThan(0);
    expect(await state.cancel('c1', 'again')).toMatchObject({
      outcome: 'finished',
      runStatus: 'cancelled',
      running: [],
    });
    expect(await state.cancel('nope', 'x')).toMatchObject({ outcome: 'missing' });
  });

  it('when a queued run is cancelled, a supervisor that takes it later starts nothing', async () => {
    await state.create(submission('c2', [task('a')]));
    expect((await state.cancel('c2', 'cancelled')).outcome).toBe('cancelled');
    const start = await state.start('c2', { domain: 'east', route: 'default', replay: false });
    expect([start.outcome, start.runStatus, start.queued]).toEqual(['unchanged', 'cancelled', []]);
  });

  it('when a failed run is re-run, tasks that succeeded keep their outputs as reused and the rest run again with those inputs', async () => {
    const s = submission('f1', [task('a'), task('b', ['a']), task('c', ['b'], 2), task('x'), task('y', ['a', 'x'])]);
    await started(s);
    await state.settle([ok('f1', 'a', { a: 1 }), ok('f1', 'x')]);
    await state.settle([bad('f1', 'b', 1, false), ok('f1', 'y', { y: 2 })]);
    expect((await state.record('f1'))?.status).toBe('failed');
    const plan = await state.rerunPlan('f1');
    expect(plan).toMatchObject({ status: 'failed', workflow: s.workflow, tenant: s.tenant });
    expect(plan?.tasks).toEqual(s.tasks);
    expect([...(plan?.reused ?? [])]).toEqual([
      ['a', '{"a":1}'],
      ['x', ''],
      ['y', '{"y":2}'],
    ]);

    clock = 5000;
    const again: Submission = { ...s, runId: 'f2', tasks: plan?.tasks ?? [], submittedAt: 4900 };
    expect(await state.create(again, 'f1', plan?.reused)).toBe('created');
    const created = await state.record('f2');
    expect(created).toMatchObject({ status: 'queued', rerunOf: 'f1' });
    expect(created?.counts).toMatchObject({ succeeded: 3, pending: 2 });
    expect(created?.tasks.map((t) => [t.id, t.status, t.reused, t.output, t.waitingFor])).toEqual([
      ['a', 'succeeded', true, { a: 1 }, undefined],
      ['b', 'pending', undefined, undefined, undefined],
      ['c', 'pending', undefined, undefined, ['b']],
      ['x', 'succeeded', true, undefined, undefined],
      ['y', 'succeeded', true, { y: 2 }, undefined],
    ]);
    const start = await state.start('f2', { domain: 'east', route: 'default', replay: false });
    expect(start.queued).toEqual([{ taskId: 'b', attempt: 1, spec: expect.anything(), inputs: { a: { a: 1 } } }]);
    await state.settle([ok('f2', 'b', 'B')]);
    const [last] = await state.settle([ok('f2', 'c')]);
    expect([last?.runStatus, last?.finishedRun]).toEqual(['succeeded', true]);
    expect((await state.record('f2'))?.counts).toMatchObject({ succeeded: 5 });
  });

  it('when tasks wait, the record says why: dependencies by name, no live runner since when', async () => {
    await started(submission('w1', [task('a'), task('b', ['a'])]));
    clock = 3000;
    await state.wait([{ runId: 'w1', taskId: 'a', attempt: 1 }]);
    const record = await state.record('w1');
    expect(record?.tasks.map((t) => t.waiting)).toEqual([
      {
        reason: 'no_runner',
        since: 3000,
        message: `no live runner in domain east since ${new Date(3000).toISOString()}`,
      },
      { reason: 'dependencies', message: 'waiting for dependency a' },
    ]);
    expect(record?.tasks[1]?.dependsOn).toEqual(['a']);
  });

  it('when the scripts are read, every status they write belongs to the one vocabulary', () => {
    const dir = join(__dirname, '..', 'src', 'lua');
    const known = new Set<string>([...TASK_STATUSES, ...RUN_STATUSES]);
    // Statuses are written by move(task, from, to) and by HSET on the status hash or the meta `status` field.
    const patterns = [
      /move\(\w+, (?:'(\w+)'|\w+), '(\w+)'\)/g,
      /'HSET', status, \w+, '(\w+)'/g,
      /'HSET', meta, 'status', '(\w+)'/g,
    ];
    const written = readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.lua'))
      .flatMap((f) => {
        const lua = readFileSync(join(dir, f), 'utf8');
        return patterns.flatMap((p) => [...lua.matchAll(p)].flatMap((m) => m.slice(1).filter((s) => s !== undefined)));
      });
    expect(written.length).toBeGreaterThan(5);
    expect(written.filter((s) => !known.has(s))).toEqual([]);
  });

  it('when a script names an include, its helper is spliced in; an unknown include fails at load', () => {
    expect(withIncludes('local x = 1\n-- @include move\nreturn x')).toContain('local function move(task, from, to)');
    expect(() => withIncludes('-- @include nope')).toThrow('unknown Lua include "nope"');
  });
});
