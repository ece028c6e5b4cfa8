import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import { createLogger } from '@mesh/logging';
import { createSupervisorMetrics } from '@mesh/metrics-schema';
import { createKeys, PROTOCOL_EXAMPLES, type MeshKeys } from '@mesh/mesh-protocol';
import { RunState } from '@mesh/run-state';
import { createRedisTestContext, eventually, type RedisTestContext } from '@mesh/testing';
import { memberOf, Schedule } from '../src/dispatch/schedule';
import { ScheduleLoop, type ScheduleCoordinator } from '../src/dispatch/schedule-loop';
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
  schedule = new Schedule(ctx.redis, state, keys.schedule);
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

function startLoop(coordinator: ScheduleCoordinator): ScheduleLoop {
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
});
