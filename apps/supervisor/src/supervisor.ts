import type { Registry } from 'prom-client';
import type { Logger } from '@mesh/logging';
import type { SupervisorMetrics } from '@mesh/metrics-schema';
import {
  createKeys,
  decodeAcksEntry,
  GROUPS,
  RedisStreamConsumer,
  wasDelivered,
  type ConsumedEntry,
  type RunnerReport,
  type Submission,
  whenReady,
  type Redis,
} from '@mesh/mesh-protocol';
import { TenantDomainMap } from '@mesh/config';
import { RunIndex, RunState } from '@mesh/run-state';
import { StreamLoop } from '@mesh/service-kit';
import type { SupervisorConfig } from './config';
import { Publisher } from './dispatch/publisher';
import { RunnerDirectory } from './dispatch/runner-directory';
import { Schedule } from './dispatch/schedule';
import { ScheduleLoop } from './dispatch/schedule-loop';
import { RunEvents } from './events/run-events';
import { StreamTrimmer } from './housekeeping/stream-trimmer';
import { Progress, type ProgressPart } from './health/progress';
import { createExhaustedSubmissionHandler, createSubmissionHandler, runFailedForMalformed } from './intake/submissions';
import { TenantRouter } from './routing/tenant-router';
import { Coordinator } from './runs/coordinator';
import { endEach, perEntryOnFailure } from './runs/per-entry';
import { createExhaustedReportHandler, createReportHandler } from './settle/acks';

export type SupervisorSettings = Omit<SupervisorConfig, 'listen' | 'logLevel' | 'redis' | 'tenantDomainMapFile'>;

export interface SupervisorDeps {
  readonly config: SupervisorSettings;
  /** Shared connection for commands. */
  readonly redis: Redis;
  /** Makes a connection of its own for each blocking reader. */
  readonly connect: (name: string) => Redis;
  readonly metrics: SupervisorMetrics;
  readonly registry: Registry;
  readonly logger: Logger;
  readonly now?: () => number;
  readonly random?: () => number;
}

/** The supervisor's moving parts, wired: two stream loops (submissions, acks), the schedule loop and the publisher. */
export class Supervisor {
  readonly router: TenantRouter;
  readonly state: RunState;
  private readonly loops: StreamLoop<'submission' | 'report'>[];
  private readonly scheduleLoop: ScheduleLoop;
  readonly trimmer: StreamTrimmer;
  /** Whether submissions, reports and schedule rounds still succeed (for `/readyz`). */
  readonly progress: Progress;
  private readonly consumers: Array<RedisStreamConsumer<'submission'> | RedisStreamConsumer<'report'>>;
  private readonly stopping = new AbortController();
  private draining = false;
  private readonly connections: Redis[] = [];

  constructor(private readonly d: SupervisorDeps) {
    const { config: c, redis, metrics, logger } = d;
    const now = d.now ?? Date.now;
    const keys = createKeys(c.streamPrefix, c.partitions ?? 1);
    // Stalled once work failed for twice as long as another supervisor waits before taking it over: by then
    // at least one retry of the same entries failed too.
    this.progress = new Progress(2 * c.claimIdleMs, now);
    this.state = new RunState(redis, keys, { finishedTtlMs: c.finishedRunTtlMs, now });
    // Runs written straight onto mesh:workflows are indexed here too; the orchestrator's retention prunes.
    const index = new RunIndex(redis, keys, c.finishedRunTtlMs, now, false);
    const schedule = new Schedule(redis, this.state, keys);
    const events = new RunEvents(redis, keys, now);
    this.router = new TenantRouter(c.tenantDomainMap ?? TenantDomainMap.EMPTY, c.defaultDomain, metrics);
    const directory = new RunnerDirectory({
      redis,
      keys,
      refreshMs: c.runnerRefreshMs,
      defaultLeaseMs: c.runnerLeaseMs,
      metrics,
      logger,
      now,
    });
    const publisher = new Publisher({
      redis,
      metrics,
      batchSize: c.batchSize,
      concurrency: c.publishConcurrency,
      maxAttempts: c.publishMaxAttempts,
      retryBaseMs: c.publishRetryBaseMs,
      retryCapMs: c.publishRetryCapMs,
      signal: this.stopping.signal,
      ...(d.random ? { random: d.random } : {}),
    });
    const coordinator = new Coordinator({
      state: this.state,
      schedule,
      events,
      publisher,
      directory,
      keys,
      metrics,
      logger: logger.child({ component: 'runs' }),
      taskRetryBaseMs: c.taskRetryBaseMs,
      taskRetryCapMs: c.taskRetryCapMs,
      dispatchDeadlineMs: c.dispatchDeadlineMs,
      leaseMs: c.leaseMs,
      missingRecheckBaseMs: Math.min(100, c.missingRecheckCapMs),
      missingRecheckCapMs: c.missingRecheckCapMs,
      now,
      ...(d.random ? { random: d.random } : {}),
      onScheduled: () => this.scheduleLoop.wake(),
    });
    this.scheduleLoop = new ScheduleLoop({
      schedule,
      state: this.state,
      coordinator,
      metrics,
      delivered: (domain, entryId) => wasDelivered(redis, keys.assignments(domain), GROUPS.runners, entryId),
      logger: logger.child({ component: 'schedule' }),
      progress: this.progress,
      batchSize: c.batchSize,
      leaseMs: c.scheduleLeaseMs,
      pollMs: c.pollMs,
      now,
    });
    this.trimmer = new StreamTrimmer({
      redis,
      keys,
      intervalMs: c.trimIntervalMs,
      domains: () => [c.defaultDomain, ...this.router.current.entries().map(([, domain]) => domain)],
      metrics,
      logger: logger.child({ component: 'trim' }),
    });

    const common = {
      group: GROUPS.supervisor,
      consumer: c.supervisorId,
      deadStream: keys.dead,
      batchSize: c.batchSize,
      blockMs: c.blockMs,
      claimIdleMs: c.claimIdleMs,
      now,
    };
    const subLog = logger.child({ component: 'submissions' });
    const ackLog = logger.child({ component: 'acks' });
    const reclaimIntervalMs = Math.max(20, Math.floor(c.claimIdleMs / 4));
    const stopping = this.stopping.signal;
    const deadLetter =
      <T>(consumer: { deadLetter: RedisStreamConsumer<'submission'>['deadLetter'] }) =>
      (entries: ConsumedEntry<T>[]): Promise<void> =>
        consumer.deadLetter(
          entries,
          'delivery_limit',
          (id) => `gave up after ${entries.find((e) => e.id === id)?.deliveries} deliveries`,
        );
    const intake = { state: this.state, index, coordinator };
    this.consumers = [];
    this.loops = [];
    // Each partition's submissions and acks have a reader of their own (a blocking read holds its connection).
    for (const partition of keys.partitionKeys) {
      const suffix = keys.partitions === 1 ? '' : `:${partition.index}`;
      const parts = {
        submissions: keys.partitions === 1 ? 'submissions' : `submissions:${partition.index}`,
        acks: keys.partitions === 1 ? 'acks' : `acks:${partition.index}`,
      } as const satisfies Record<string, ProgressPart>;
      const submissions = new RedisStreamConsumer('submission', {
        ...common,
        blocking: this.connection(`submissions${suffix}`),
        commands: redis,
        stream: partition.workflows,
        onDeadLetter: (reason, entryId, detail, fields) => {
          metrics.deadLetters.inc({ stream: 'workflows', reason });
          subLog.warn({ reason, entryId, detail }, 'submission dead-lettered');
          // A rejected submission got its run-failed when it was checked, one past the limit when its run was
          // abandoned; only one that could not be decoded is told about here.
          if (reason === 'rejected' || reason === 'delivery_limit') return;
          const batch = events.batch();
          runFailedForMalformed(fields, detail, batch);
          events
            .publish(batch)
            .catch((err: Error) => subLog.warn({ err }, 'could not publish run-failed for a malformed submission'));
        },
        onError: (err) => subLog.warn({ err }, 'reading submissions failed; retrying'),
      });
      // Runners' reports and single acks (v1 workers write those) share mesh:acks.
      const acks = new RedisStreamConsumer('report', {
        ...common,
        decode: decodeAcksEntry,
        blocking: this.connection(`acks${suffix}`),
        commands: redis,
        stream: partition.acks,
        onDeadLetter: (reason, entryId, detail) => {
          metrics.deadLetters.inc({ stream: 'acks', reason });
          ackLog.warn({ reason, entryId, detail }, 'ack dead-lettered');
        },
        onError: (err) => ackLog.warn({ err }, 'reading acks failed; retrying'),
      });
      this.consumers.push(submissions, acks);
      this.loops.push(
        new StreamLoop({
          consumer: submissions,
          handle: this.tracked(
            parts.submissions,
            perEntryOnFailure(
              createSubmissionHandler({
                consumer: submissions,
                ...intake,
                events,
                router: this.router,
                directory,
                logger: subLog,
              }),
              { logger: subLog, stopping },
            ),
          ),
          exhausted: this.tracked(
            parts.submissions,
            endEach(createExhaustedSubmissionHandler(intake), deadLetter<Submission>(submissions)),
          ),
          reclaimIntervalMs,
          logger: subLog,
        }) as StreamLoop<'submission' | 'report'>,
        new StreamLoop({
          consumer: acks,
          handle: this.tracked(
            parts.acks,
            perEntryOnFailure(
              createReportHandler({ consumer: acks, state: this.state, coordinator, events, directory }),
              { logger: ackLog, stopping },
            ),
          ),
          exhausted: this.tracked(
            parts.acks,
            endEach(createExhaustedReportHandler({ coordinator }), deadLetter<RunnerReport>(acks)),
          ),
          reclaimIntervalMs,
          logger: ackLog,
        }) as StreamLoop<'submission' | 'report'>,
      );
    }
  }

  /** The handler, its every call reported to `progress` as work of `part`. */
  private tracked<T>(
    part: ProgressPart,
    handle: (entries: ConsumedEntry<T>[]) => Promise<void>,
  ): (entries: ConsumedEntry<T>[]) => Promise<void> {
    return (entries) => this.progress.track(part, () => handle(entries));
  }

  private connection(name: string): Redis {
    const client = this.d.connect(name);
    this.connections.push(client);
    return client;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  async start(): Promise<void> {
    // Give Redis a moment so the first commands do not fail noisily; if it is down, every loop retries.
    await Promise.all([this.d.redis, ...this.connections].map((c) => whenReady(c, 2000)));
    for (const consumer of this.consumers) {
      await consumer
        .ensureGroup()
        .catch((err: Error) =>
          this.d.logger.warn({ err }, 'cannot create a consumer group yet; the reader will retry'),
        );
    }
    for (const loop of this.loops) loop.start();
    this.scheduleLoop.start();
    this.trimmer.start();
  }

  /**
   * Stops reading and scheduling; a batch in flight finishes within `graceMs`, else its publishes stop and
   * its entries stay unacked in Redis, to be taken again by another supervisor.
   */
  async stop(graceMs: number): Promise<void> {
    this.draining = true;
    const grace = setTimeout(() => this.stopping.abort(), graceMs);
    try {
      await Promise.all([...this.loops.map((l) => l.stop()), this.trimmer.stop(), this.scheduleLoop.stop()]);
    } finally {
      clearTimeout(grace);
      this.stopping.abort();
    }
  }
}
