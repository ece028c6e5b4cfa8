import type { Registry } from 'prom-client';
import type { Logger } from '@mesh/logging';
import type { SupervisorMetrics } from '@mesh/metrics-schema';
import { createKeys, GROUPS, RedisStreamConsumer, whenReady, type Redis } from '@mesh/mesh-protocol';
import { TenantDomainMap } from '@mesh/config';
import type { SupervisorConfig } from './config';
import { createAckHandler } from './consumers/acks';
import { StreamLoop } from '@mesh/service-kit';
import { createSubmissionHandler, runFailedForMalformed } from './consumers/submissions';
import { Dispatcher } from './dispatch/dispatcher';
import { PublishPool } from './dispatch/publish-pool';
import { RunnerDirectory } from './dispatch/runner-directory';
import { Schedule } from './dispatch/schedule';
import { RunEvents } from './events/run-events';
import { StreamTrimmer } from './housekeeping/stream-trimmer';
import { TenantRouter } from './routing/tenant-router';
import { Coordinator } from './state/coordinator';
import { RunStore } from './state/run-store';

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

/** The supervisor's moving parts, wired: two stream loops (submissions, acks), the dispatcher and the publish pool. */
export class Supervisor {
  readonly router: TenantRouter;
  readonly store: RunStore;
  private readonly loops: StreamLoop<'submission' | 'ack'>[];
  private readonly dispatcher: Dispatcher;
  private readonly pool: PublishPool;
  readonly trimmer: StreamTrimmer;
  private readonly consumers: Array<RedisStreamConsumer<'submission'> | RedisStreamConsumer<'ack'>>;
  private draining = false;
  private readonly connections: Redis[] = [];

  constructor(private readonly d: SupervisorDeps) {
    const { config: c, redis, metrics, logger } = d;
    const now = d.now ?? Date.now;
    const keys = createKeys(c.streamPrefix);
    this.store = new RunStore(redis, keys, c.finishedRunTtlMs, now);
    const schedule = new Schedule(redis, this.store, keys.schedule);
    const events = new RunEvents(redis, keys.runEvents, now);
    this.router = new TenantRouter(c.tenantDomainMap ?? TenantDomainMap.EMPTY, c.defaultDomain, metrics);
    const wake = (): void => this.dispatcher.wake();
    const coordinator = new Coordinator({
      store: this.store,
      schedule,
      events,
      metrics,
      logger: logger.child({ component: 'runs' }),
      taskRetryBaseMs: c.taskRetryBaseMs,
      taskRetryCapMs: c.taskRetryCapMs,
      now,
      onDue: wake,
      ...(d.random ? { random: d.random } : {}),
    });
    const directory = new RunnerDirectory({
      redis,
      keys,
      refreshMs: c.runnerRefreshMs,
      defaultLeaseMs: c.runnerLeaseMs,
      metrics,
      logger,
      now,
    });
    this.dispatcher = new Dispatcher({
      keys,
      store: this.store,
      schedule,
      coordinator,
      events,
      directory,
      metrics,
      logger: logger.child({ component: 'dispatch' }),
      batchSize: c.batchSize,
      leaseMs: c.scheduleLeaseMs,
      pollMs: c.pollMs,
      dispatchDeadlineMs: c.dispatchDeadlineMs,
      missingRecheckBaseMs: Math.min(100, c.missingRecheckCapMs),
      missingRecheckCapMs: c.missingRecheckCapMs,
      ackGraceMs: c.ackGraceMs,
      now,
      ...(d.random ? { random: d.random } : {}),
    });
    const publishLog = logger.child({ component: 'publish' });
    this.pool = new PublishPool({
      redis,
      metrics,
      concurrency: c.publishConcurrency,
      batchSize: c.batchSize,
      maxAttempts: c.publishMaxAttempts,
      retryBaseMs: c.publishRetryBaseMs,
      retryCapMs: c.publishRetryCapMs,
      onPublished: (items) =>
        void this.dispatcher
          .published(items)
          .catch((err: Error) =>
            publishLog.warn({ err }, 'recording published assignments failed; their schedule entries will be retried'),
          ),
      onGaveUp: (item, err) =>
        void this.dispatcher
          .gaveUp(item, err)
          .catch((e: Error) =>
            publishLog.error({ err: e }, 'failing an unpublishable task failed; it will be retried'),
          ),
      ...(d.random ? { random: d.random } : {}),
    });
    this.dispatcher.attach(this.pool);
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
    const submissions = new RedisStreamConsumer('submission', {
      ...common,
      blocking: this.connection('submissions'),
      commands: redis,
      stream: keys.workflows,
      onDeadLetter: (reason, entryId, detail, fields) => {
        metrics.deadLetters.inc({ stream: 'workflows', reason });
        subLog.warn({ reason, entryId, detail }, 'submission dead-lettered');
        const failed = reason === 'rejected' ? undefined : runFailedForMalformed(fields, detail, events);
        if (failed)
          void events
            .publish([failed])
            .catch((err: Error) => subLog.warn({ err }, 'could not publish run-failed for a malformed submission'));
      },
      onError: (err) => subLog.warn({ err }, 'reading submissions failed; retrying'),
    });
    const ackLog = logger.child({ component: 'acks' });
    const acks = new RedisStreamConsumer('ack', {
      ...common,
      blocking: this.connection('acks'),
      commands: redis,
      stream: keys.acks,
      onDeadLetter: (reason, entryId, detail) => {
        metrics.deadLetters.inc({ stream: 'acks', reason });
        ackLog.warn({ reason, entryId, detail }, 'ack dead-lettered');
      },
      onError: (err) => ackLog.warn({ err }, 'reading acks failed; retrying'),
    });
    this.consumers = [submissions, acks];
    const reclaimIntervalMs = Math.max(20, Math.floor(c.claimIdleMs / 4));
    this.loops = [
      new StreamLoop({
        consumer: submissions,
        handle: createSubmissionHandler({
          consumer: submissions,
          store: this.store,
          schedule,
          events,
          router: this.router,
          logger: subLog,
          now,
          onDue: wake,
        }),
        reclaimIntervalMs,
        logger: subLog,
      }),
      new StreamLoop({
        consumer: acks,
        handle: createAckHandler(acks, coordinator),
        reclaimIntervalMs,
        logger: ackLog,
      }),
    ] as StreamLoop<'submission' | 'ack'>[];
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
    this.dispatcher.start();
    this.trimmer.start();
  }

  /** Stops reading and scheduling, lets publishes in flight finish within `graceMs`; unfinished work stays in Redis for others. */
  async stop(graceMs: number): Promise<void> {
    this.draining = true;
    await Promise.all([...this.loops.map((l) => l.stop()), this.trimmer.stop()]);
    await this.dispatcher.stop();
    const timeout = new Promise<void>((r) => setTimeout(r, graceMs).unref());
    await Promise.race([this.pool.idle(), timeout]);
    this.pool.stop();
  }
}
