import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import type Redis from 'ioredis';
import { createLogger } from '@mesh/logging';
import { createSupervisorMetrics, type SupervisorMetrics } from '@mesh/metrics-schema';
import { createKeys, decodeEntry, type Assignment, type MeshKeys } from '@mesh/mesh-protocol';
import { RunState } from '@mesh/run-state';
import { Publisher } from '../../src/dispatch/publisher';
import { RunnerDirectory } from '../../src/dispatch/runner-directory';
import { Schedule } from '../../src/dispatch/schedule';
import { ScheduleLoop } from '../../src/dispatch/schedule-loop';
import { RunEvents } from '../../src/events/run-events';
import { Coordinator } from '../../src/runs/coordinator';

const quiet = createLogger({ service: 'supervisor', destination: new Writable({ write: (_c, _e, done) => done() }) });

/** One supervisor's run machinery, in-process on `redis`, with short timings; no stream readers. */
export interface SupervisorParts {
  readonly keys: MeshKeys;
  readonly state: RunState;
  readonly schedule: Schedule;
  readonly coordinator: Coordinator;
  readonly metrics: SupervisorMetrics;
  readonly registry: Registry;
  /** Starts a schedule loop (stopped by stop()). */
  startLoop(): ScheduleLoop;
  stop(): Promise<void>;
}

export function supervisorParts(
  redis: Redis,
  prefix: string,
  o: { publishMaxAttempts?: number; dispatchDeadlineMs?: number; now?: () => number } = {},
): SupervisorParts {
  const keys = createKeys(prefix);
  const now = o.now ?? Date.now;
  const state = new RunState(redis, keys, { finishedTtlMs: 60_000, now });
  const schedule = new Schedule(redis, state, keys);
  const registry = new Registry();
  const metrics = createSupervisorMetrics(registry);
  const stopping = new AbortController();
  const loops: ScheduleLoop[] = [];
  const directory = new RunnerDirectory({ redis, keys, refreshMs: 0, defaultLeaseMs: 60_000, metrics, logger: quiet });
  const coordinator = new Coordinator({
    state,
    schedule,
    events: new RunEvents(redis, keys, now),
    publisher: new Publisher({
      redis,
      metrics,
      batchSize: 100,
      concurrency: 2,
      maxAttempts: o.publishMaxAttempts ?? 2,
      retryBaseMs: 1,
      retryCapMs: 5,
      signal: stopping.signal,
    }),
    directory,
    keys,
    metrics,
    logger: quiet,
    taskRetryBaseMs: 1,
    taskRetryCapMs: 5,
    dispatchDeadlineMs: o.dispatchDeadlineMs ?? 600_000,
    leaseMs: 3000,
    missingRecheckBaseMs: 5,
    missingRecheckCapMs: 20,
    now,
    onScheduled: () => loops.forEach((l) => l.wake()),
  });
  return {
    keys,
    state,
    schedule,
    coordinator,
    metrics,
    registry,
    startLoop() {
      const loop = new ScheduleLoop({
        schedule,
        state,
        coordinator,
        metrics,
        delivered: () => Promise.resolve(false),
        logger: quiet,
        batchSize: 100,
        leaseMs: 500,
        pollMs: 5,
        idleMs: 50,
        earlyRecheckMs: 10,
        now,
      });
      loop.start();
      loops.push(loop);
      return loop;
    },
    async stop() {
      stopping.abort();
      await Promise.all(loops.map((l) => l.stop()));
    },
  };
}

/** The assignments published on a domain's stream, in order. */
export async function published(redis: Redis, keys: MeshKeys, domain = 'default'): Promise<Assignment[]> {
  return (await redis.xrange(keys.assignments(domain), '-', '+')).flatMap(([, fields]) => {
    const d = decodeEntry('assignment', fields);
    return d.ok ? [d.message] : [];
  });
}

/** Registers a live runner of `domain`. */
export async function registerRunner(
  redis: Redis,
  keys: MeshKeys,
  runnerId: string,
  domain = 'default',
): Promise<void> {
  const now = Date.now();
  await redis.hset(
    keys.runners,
    runnerId,
    JSON.stringify({ runnerId, domain, startedAt: now, lastSeen: now, leaseMs: 600_000, hardware: null }),
  );
}
