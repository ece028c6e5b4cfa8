import { PROTOCOL_EXAMPLES, type SubmissionTask } from '@mesh/mesh-protocol';
import { sample } from '@mesh/mesh-harness';
import type { SettleInput } from '@mesh/run-state';
import { createRedisTestContext, eventually, type RedisTestContext } from '@mesh/testing';
import type { Settlement } from '../src/runs/coordinator';
import { AclUser } from '@mesh/testing';
import { published, registerRunner, supervisorParts, type SupervisorParts } from './support/coordinator';

let ctx: RedisTestContext;
let acl: AclUser;
const parts: SupervisorParts[] = [];

beforeEach(() => {
  ctx = createRedisTestContext('coordinator');
  acl = new AclUser();
});
afterEach(async () => {
  await Promise.all(parts.splice(0).map((p) => p.stop()));
  await acl.remove();
  await ctx.cleanup();
});

/** A supervisor's parts on `redis` (default: the test's connection). */
function supervisor(redis = ctx.redis, o: Parameters<typeof supervisorParts>[2] = {}): SupervisorParts {
  const p = supervisorParts(redis, ctx.prefix, o);
  parts.push(p);
  return p;
}

const task = (id: string, dependsOn: string[] = [], retries = 0): SubmissionTask => ({
  id,
  kind: 'echo',
  payload: null,
  dependsOn,
  retries,
  timeoutMs: 1000,
});

/** Creates and starts a run (as the orchestrator and a supervisor would); returns its first queued tasks. */
async function startRun(p: SupervisorParts, runId: string, tasks: SubmissionTask[], domain = 'default') {
  await p.state.create({ ...PROTOCOL_EXAMPLES.submission, runId, workflow: 'wf', tasks });
  const started = await p.state.start(runId, { domain, route: 'default', replay: false });
  return started.queued.map((t) => ({ runId, route: started.route, task: t }));
}

const outcome = (runId: string, taskId: string, attempt: number, success: boolean, replay = false): Settlement => ({
  input: {
    runId,
    taskId,
    attempt,
    success,
    allowRetry: true,
    ...(success ? {} : { error: 'disk full' }),
    runnerId: 'cpu-1',
    replay,
  } satisfies SettleInput,
});

/** Acks every attempt still to do of `runId` (a: its attempt 2, then b) through `p`, and returns the run's end. */
async function finishRetriedRun(p: SupervisorParts, runId: string): Promise<string | undefined> {
  const retry = await eventually(async () =>
    (await published(ctx.redis, p.keys)).find((a) => a.taskId === 'a' && a.attempt === 2),
  );
  await p.coordinator.advance({ settlements: [outcome(runId, 'a', retry.attempt, true)] });
  await eventually(async () => (await published(ctx.redis, p.keys)).find((a) => a.taskId === 'b'));
  await p.coordinator.advance({ settlements: [outcome(runId, 'b', 1, true)] });
  return (await p.state.record(runId))?.status;
}

describe('retries survive crashes and errors between the settle and the schedule', () => {
  it('when a supervisor dies after scheduling a retry but before settling the failure, the replayed report settles it, the retry is published and the run ends', async () => {
    await acl.create(ctx.prefix);
    const survivor = supervisor();
    await registerRunner(ctx.redis, survivor.keys, 'cpu-1');
    const runId = 'r-before';
    await survivor.coordinator.advance({
      queued: await startRun(survivor, runId, [task('a', [], 1), task('b', ['a'])]),
    });
    // The doomed supervisor's settle is refused (Redis errors like a crash at that point): the entry was written.
    const refused = supervisor(acl.connect());
    await acl.refuse('evalsha', 'eval');
    await expect(refused.coordinator.advance({ settlements: [outcome(runId, 'a', 1, false)] })).rejects.toThrow(
      /NOPERM/,
    );
    expect(await ctx.redis.zscore(survivor.keys.schedule, `d|${runId}|a|2`)).not.toBeNull();
    expect((await survivor.state.record(runId))?.tasks[0]).toMatchObject({ status: 'queued', attempts: 1 });

    // Another supervisor: its schedule loop finds the retry early and keeps it; the report, reclaimed, is a replay.
    survivor.startLoop();
    await survivor.coordinator.advance({ settlements: [outcome(runId, 'a', 1, false, true)] });
    expect(await finishRetriedRun(survivor, runId)).toBe('succeeded');
  });

  it('when a supervisor dies right after settling a failure (nothing after the settle got out), the retry it scheduled beforehand is published and the run ends', async () => {
    await acl.create(ctx.prefix);
    const doomed = supervisor(acl.connect());
    const survivor = supervisor();
    await registerRunner(ctx.redis, survivor.keys, 'cpu-1');
    const runId = 'r-after';
    await survivor.coordinator.advance({
      queued: await startRun(survivor, runId, [task('a', [], 1), task('b', ['a'])]),
    });
    // Every write after the settle is refused (run events, assignments): as if the supervisor died right there.
    await acl.refuse('xadd', 'zrem', 'xack');
    await expect(doomed.coordinator.advance({ settlements: [outcome(runId, 'a', 1, false)] })).rejects.toThrow(
      /NOPERM/,
    );
    expect((await survivor.state.record(runId))?.tasks[0]).toMatchObject({ status: 'queued', attempts: 2 });
    // Even if its report were lost, the schedule publishes the retry.
    survivor.startLoop();
    expect(await finishRetriedRun(survivor, runId)).toBe('succeeded');
  });

  it('when Redis fails mid-way (the run events after the settle are refused), the replayed report publishes the retry and the run ends', async () => {
    await acl.create(ctx.prefix);
    const refused = supervisor(acl.connect());
    const survivor = supervisor();
    await registerRunner(ctx.redis, survivor.keys, 'cpu-1');
    const runId = 'r-midway';
    await survivor.coordinator.advance({
      queued: await startRun(survivor, runId, [task('a', [], 1), task('b', ['a'])]),
    });
    await acl.refuse('xadd');
    await expect(refused.coordinator.advance({ settlements: [outcome(runId, 'a', 1, false)] })).rejects.toThrow(
      /NOPERM/,
    );
    expect((await survivor.state.record(runId))?.tasks[0]).toMatchObject({ status: 'queued', attempts: 2 });
    // The report is replayed (no schedule loop runs here): the duplicate returns the retry, published at once.
    await survivor.coordinator.advance({ settlements: [outcome(runId, 'a', 1, false, true)] });
    expect(await finishRetriedRun(survivor, runId)).toBe('succeeded');
  });
});

describe('dispatch outcomes', () => {
  it('when a publish is given up, the task retries if it has retries left, and its retry is published once Redis takes it', async () => {
    const p = supervisor(ctx.redis, { publishMaxAttempts: 1 });
    await registerRunner(ctx.redis, p.keys, 'cpu-1');
    // Redis refuses every XADD to the domain's stream: the key holds a string (WRONGTYPE).
    await ctx.redis.set(p.keys.assignments('default'), 'not a stream');
    const runId = 'r-publish';
    await p.coordinator.advance({ queued: await startRun(p, runId, [task('a', [], 1), task('b', ['a'])]) });
    expect(await p.state.record(runId)).toMatchObject({
      status: 'running',
      tasks: [expect.objectContaining({ id: 'a', status: 'queued', attempts: 2 }), expect.anything()],
    });
    expect(await ctx.redis.zscore(p.keys.schedule, `d|${runId}|a|2`)).not.toBeNull();
    expect(sample(await p.registry.metrics(), 'supervisor_mesh_dispatch_total{status="failure"}')).toBe(1);

    await ctx.redis.del(p.keys.assignments('default'));
    p.startLoop();
    expect(await finishRetriedRun(p, runId)).toBe('succeeded');

    // With no retry left, the given-up publish fails the task for good.
    await ctx.redis.del(p.keys.assignments('default'));
    await ctx.redis.set(p.keys.assignments('default'), 'not a stream');
    await p.coordinator.advance({ queued: await startRun(p, 'r-final', [task('a')]) });
    expect(await p.state.record('r-final')).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/^task a: could not publish the assignment after 1 attempts: WRONGTYPE/),
    });
  });

  it('when a task finds no runner, missing is counted once however often it is re-checked, and the pending depth drops once another supervisor published it', async () => {
    const holder = supervisor();
    const runId = 'r-missing';
    await holder.coordinator.advance({ queued: await startRun(holder, runId, [task('a')], 'late') });
    const member = `d|${runId}|a|1`;
    const loop = holder.startLoop();
    // Re-checked: each claim and deferral moves the entry's score.
    const scores = new Set<string>();
    await eventually(async () => {
      const score = await ctx.redis.zscore(holder.keys.schedule, member);
      if (score) scores.add(score);
      return scores.size >= 4 ? true : undefined;
    });
    const text = await holder.registry.metrics();
    expect(sample(text, 'supervisor_mesh_dispatch_total{status="missing"}')).toBe(1);
    expect(sample(text, 'supervisor_pending_queue_depth')).toBe(1);

    // This supervisor pauses; a runner of the domain comes, and another supervisor publishes the task.
    await loop.stop();
    await registerRunner(ctx.redis, holder.keys, 'late-1', 'late');
    const other = supervisor();
    other.startLoop();
    await eventually(async () => ((await published(ctx.redis, other.keys, 'late')).length === 1 ? true : undefined));
    await eventually(async () => ((await ctx.redis.zscore(holder.keys.schedule, member)) === null ? true : undefined));
    holder.startLoop();
    await eventually(async () =>
      sample(await holder.registry.metrics(), 'supervisor_pending_queue_depth') === 0 ? true : undefined,
    );
    expect(holder.coordinator.heldBack()).toEqual([]);
    expect(sample(await holder.registry.metrics(), 'supervisor_mesh_dispatch_total{status="missing"}')).toBe(1);
  });

  it('when two supervisors check a task that finds no runner, missing is counted once between them and the dispatch deadline runs from the first check', async () => {
    let clock = 1_000_000;
    const now = () => clock;
    const first = supervisor(ctx.redis, { now, dispatchDeadlineMs: 1000 });
    const second = supervisor(ctx.redis, { now, dispatchDeadlineMs: 1000 });
    const runId = 'r-two';
    const queued = await startRun(first, runId, [task('a')], 'late');
    await first.coordinator.advance({ queued });
    // The other supervisor claims the entry later and checks again (no runner yet).
    clock += 600;
    await second.coordinator.advance({ queued });
    const missing = async (p: SupervisorParts) =>
      sample(await p.registry.metrics(), 'supervisor_mesh_dispatch_total{status="missing"}');
    expect((await missing(first)) + (await missing(second))).toBe(1);
    expect((await first.state.record(runId))?.status).toBe('running');
    // 1,100 ms after the first check, 500 ms after its own: past the deadline.
    clock += 500;
    await second.coordinator.advance({ queued });
    expect(await first.state.record(runId)).toMatchObject({
      status: 'failed',
      error: 'task a: no live runner in domain late within 1000 ms',
    });
    expect((await missing(first)) + (await missing(second))).toBe(1);
  });
});
