import type { Logger } from '@mesh/logging';
import type { EnvRunnerMetrics } from '@mesh/metrics-schema';
import { GROUPS, RedisStreamConsumer, spreadPipeline, type MeshKeys, type Redis } from '@mesh/mesh-protocol';
import type { HandlerRegistry } from '../tasks/registry';
import { ReportWriter } from './report-writer';
import { AssignmentRunner } from './assignment-runner';
import { Executor } from './executor';

export interface PipelineOptions {
  readonly keys: MeshKeys;
  readonly domain: string;
  readonly runnerId: string;
  /** Shared connection for acks, claims, dead letters. */
  readonly redis: Redis;
  /** The reader's own blocking connection (closed when the runner stops). */
  readonly blocking: Redis;
  readonly handlers: HandlerRegistry;
  readonly metrics: EnvRunnerMetrics;
  readonly logger: Logger;
  readonly concurrency: number;
  readonly blockMs: number;
  readonly claimIdleMs: number;
  readonly maxDeliveries: number;
  readonly outputLimitBytes: number;
  readonly now?: () => number;
}

/** The status of each run (its `meta` status; absent for a run that is gone), read in one round trip. */
export function runStatusReader(
  redis: Redis,
  keys: MeshKeys,
): (runIds: readonly string[]) => Promise<Map<string, string>> {
  return async (runIds) => {
    const pipeline = spreadPipeline(redis);
    for (const runId of runIds) pipeline.hget(keys.run(runId, 'meta'), 'status');
    const replies = (await pipeline.exec()) ?? [];
    const statuses = new Map<string, string>();
    replies.forEach(([err, status], i) => {
      if (err) throw err;
      if (typeof status === 'string') statuses.set(runIds[i] as string, status);
    });
    return statuses;
  };
}

/** Wires the consumer, executor, ack writer and runner for one domain. */
export function createAssignmentPipeline(o: PipelineOptions): {
  runner: AssignmentRunner;
  acks: ReportWriter;
  consumer: RedisStreamConsumer<'assignment'>;
} {
  const stream = o.keys.assignments(o.domain);
  const consumer = new RedisStreamConsumer('assignment', {
    blocking: o.blocking,
    commands: o.redis,
    stream,
    group: GROUPS.runners,
    consumer: o.runnerId,
    deadStream: o.keys.dead,
    batchSize: o.concurrency,
    blockMs: o.blockMs,
    claimIdleMs: o.claimIdleMs,
    maxDeliveries: o.maxDeliveries,
    ...(o.now ? { now: o.now } : {}),
    onDeadLetter: (reason, entryId, detail) => {
      o.metrics.deadLetters.inc({ reason });
      o.logger.warn({ reason, entryId, detail }, 'assignment dead-lettered');
    },
    onError: (err) => o.logger.warn({ err }, 'reading assignments failed; retrying'),
  });
  const acks = new ReportWriter({
    redis: o.redis,
    runnerId: o.runnerId,
    acksStreamOf: (runId) => o.keys.ofRun(runId).acks,
    assignmentsStream: stream,
    group: GROUPS.runners,
    onError: (err) => o.logger.warn({ err }, 'writing reports failed; retrying'),
    ...(o.now ? { now: o.now } : {}),
  });
  const runner = new AssignmentRunner({
    consumer,
    executor: new Executor({
      runnerId: o.runnerId,
      handlers: o.handlers,
      outputLimitBytes: o.outputLimitBytes,
      ...(o.now ? { now: o.now } : {}),
    }),
    acks,
    metrics: o.metrics,
    logger: o.logger,
    runnerId: o.runnerId,
    concurrency: o.concurrency,
    // Look for abandoned work a few times per claim timeout, so it restarts soon after it is claimable.
    reclaimIntervalMs: Math.max(20, Math.floor(o.claimIdleMs / 4)),
    // Five chances per lease: a runner starved of CPU for a while still renews before its lease lapses.
    renewIntervalMs: Math.max(20, Math.floor(o.claimIdleMs / 5)),
    maxDeliveries: o.maxDeliveries,
    kinds: o.handlers.kinds(),
    runStatuses: runStatusReader(o.redis, o.keys),
    ...(o.now ? { now: o.now } : {}),
  });
  return { runner, acks, consumer };
}
