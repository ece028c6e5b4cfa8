import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import { createLogger } from '@mesh/logging';
import { createSupervisorMetrics } from '@mesh/metrics-schema';
import { createKeys, PROTOCOL_EXAMPLES, type MeshKeys } from '@mesh/mesh-protocol';
import { RunState } from '@mesh/run-state';
import { createRedisTestContext, eventually, type RedisTestContext } from '@mesh/testing';
import { memberOf, Schedule } from '../src/dispatch/schedule';
import { ScheduleLoop, type ScheduleCoordinator, type ScheduleLoopOptions } from '../src/dispatch/schedule-loop';
import type { Dispatchable } from '../src/runs/coordinator';

const logger = createLogger({ service: 'supervisor', destination: new Writable({ write: (_c, _e, done) => done() }) });

let ctx: RedisTestContext;
let keys: MeshKeys;
let state: RunState;
let schedule: Schedule;
let loop: ScheduleLoop | undefined;

beforeEach(() => {
  ctx = createRedisTestContext('schedule-loop');
  keys = createKeys(ctx.prefix);
  state = new RunState(ctx.redis, keys, { finishedTtlMs: 60_000 });
  schedule = new Schedule(ctx.redis, state, keys);
});
afterEach(async () => {
  await loop?.stop();
  loop = undefined;
  await ctx.cleanup();
});

/** The coordinator's side of the loop, recorded: what the loop handed over to publish, round by round. */
function recordingCoordinator(): ScheduleCoordinator & { rounds: Dispatchable[][] } {
  const rounds: Dispatchable[][] = [];
  return {
    rounds,
    heldBack: () => [],
    forget: () => undefined,
    advance: async (work) => {
      rounds.push([...(work.queued ?? [])]);
      return { deferred: new Set<string>() };
    },
  };
}

function startLoop(coordinator: ScheduleCoordinator, extra: Partial<ScheduleLoopOptions> = {}): ScheduleLoop {
  const l = new ScheduleLoop({
    schedule,
    state,
    coordinator,
    metrics: createSupervisorMetrics(new Registry()),
    delivered: () => Promise.resolve(false),
    logger,
    batchSize: 10,
    leaseMs: 5000,
    pollMs: 5,
    earlyRecheckMs: 20,
    now: Date.now,
    ...extra,
  });
  l.start();
  return l;
}

describe('schedule loop', () => {
  it('when a retry comes due before the failure that calls for it is settled, it waits for the settle and is then published', async () => {
    const runId = 'r-early';
    expect(
      await state.create({
        ...PROTOCOL_EXAMPLES.submission,
        runId,
        tasks: [{ id: 'a', kind: 'echo', payload: null, dependsOn: [], retries: 1, timeoutMs: 1000 }],
      }),
    ).toBe('created');
    await state.start(runId, { domain: 'default', route: 'default', replay: false });
    // A supervisor pre-schedules attempt 2 (due at once: no backoff) and has not settled attempt 1's failure yet.
    const member = memberOf({ runId, taskId: 'a', attempt: 2 });
    await schedule.add([{ member, at: 0 }]);
    const coordinator = recordingCoordinator();
    loop = startLoop(coordinator);
    await eventually(() => (coordinator.rounds.length > 0 ? true : undefined));
    // The entry is kept for later, not dropped as stale.
    expect(coordinator.rounds[0]).toEqual([]);
    expect(await ctx.redis.zscore(keys.schedule, member)).not.toBeNull();

    const [retry] = await state.settle([
      { runId, taskId: 'a', attempt: 1, success: false, allowRetry: true, error: 'disk full' },
    ]);
    expect(retry?.outcome).toBe('retry');
    const published = await eventually(() => coordinator.rounds.flat().find((d) => d.task.attempt === 2));
    expect([published.runId, published.task.taskId, published.route.domain]).toEqual([runId, 'a', 'default']);
    await eventually(async () => ((await ctx.redis.zscore(keys.schedule, member)) === null ? true : undefined));
  });

  it('when a scheduled attempt was superseded (its task ended), the entry is dropped and nothing is published', async () => {
    const runId = 'r-gone';
    await state.create({
      ...PROTOCOL_EXAMPLES.submission,
      runId,
      tasks: [{ id: 'a', kind: 'echo', payload: null, dependsOn: [], retries: 1, timeoutMs: 1000 }],
    });
    await state.start(runId, { domain: 'default', route: 'default', replay: false });
    await state.settle([{ runId, taskId: 'a', attempt: 1, success: false, allowRetry: false, error: 'final' }]);
    const member = memberOf({ runId, taskId: 'a', attempt: 2 });
    await schedule.add([{ member, at: 0 }]);
    const coordinator = recordingCoordinator();
    loop = startLoop(coordinator);
    await eventually(async () => ((await ctx.redis.zscore(keys.schedule, member)) === null ? true : undefined));
    expect(coordinator.rounds.flat()).toEqual([]);
  });

  it('when it drains a backlog in full rounds, it measures the pending depth at most once per interval, exactly, not after every round', async () => {
    // 300 due dispatch entries, 10 a round: 30 full rounds. Their runs do not exist, so each is dropped.
    const backlog = Array.from({ length: 300 }, (_, i) => ({
      member: memberOf({ runId: `r-${i}`, taskId: 'a', attempt: 1 }),
      at: 0,
    }));
    await schedule.add(backlog);
    const depth = jest.spyOn(schedule, 'depth');
    const registry = new Registry();
    const metrics = createSupervisorMetrics(registry);
    const gauge = async (): Promise<number | undefined> =>
      (await registry.getSingleMetric('supervisor_pending_queue_depth')?.get())?.values[0]?.value;
    // The interval's clock stands still but for one step of an interval, taken during round 15.
    let clock = 0;
    const seen: Array<{ measured: number; gauge: number | undefined }> = [];
    const coordinator: ScheduleCoordinator = {
      heldBack: () => [],
      forget: () => undefined,
      advance: async () => {
        seen.push({ measured: depth.mock.calls.length, gauge: await gauge() });
        if (seen.length === 15) clock += 1000;
        return { deferred: new Set<string>() };
      },
    };
    const throttle = { measureIntervalMs: 1000, monotonic: () => clock };
    loop = startLoop(coordinator, { metrics, ...throttle });
    await eventually(async () => ((await ctx.redis.zcard(keys.schedule)) === 0 ? true : undefined));
    await eventually(() => (depth.mock.calls.length >= 3 ? true : undefined));

    expect(seen).toHaveLength(30);
    // Measured after the first round (never measured before) and after round 15 (an interval passed), exactly:
    // 290 and then 150 entries were still due.
    expect(seen.map((s) => s.measured)).toEqual(seen.map((_, i) => (i === 0 ? 0 : i < 15 ? 1 : 2)));
    expect(seen[1]?.gauge).toBe(290);
    expect(seen[15]?.gauge).toBe(150);
    // Once drained (a round short of a full batch), it measures again: nothing is due.
    await eventually(async () => ((await gauge()) === 0 ? true : undefined));
  });
});
