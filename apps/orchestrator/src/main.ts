import { Registry } from 'prom-client';
import { formatListenAddress } from '@mesh/config';
import { createOrchestratorMetrics } from '@mesh/metrics-schema';
import { createKeys, createRedisClient, GROUPS, RedisStreamConsumer, whenReady } from '@mesh/mesh-protocol';
import { closeRedis, closeServer, connectRedis, listen, runService, StreamLoop } from '@mesh/service-kit';
import { createApp } from './app';
import { ORCHESTRATOR_SETTINGS } from './config';
import { createEventHandler } from './records/event-handler';
import { RecordStore } from './records/record-store';
import { RunnerHardware } from './records/runner-hardware';
import { SubmissionService } from './submissions';

// runService exits on its own failures (2: bad config, 1: start-up error, logged); any other rejection is a bug.
void runService({
  service: 'orchestrator',
  spec: ORCHESTRATOR_SETTINGS,
  env: process.env,
  argv: process.argv.slice(2),
  async start(config, rootLogger) {
    const logger = rootLogger.child({ orchestratorId: config.orchestratorId });
    const keys = createKeys(config.streamPrefix);
    const { redis, ready } = connectRedis(config.redis.url, `orchestrator:${config.orchestratorId}`, logger);
    const blocking = createRedisClient(config.redis.url, {
      connectionName: `orchestrator:${config.orchestratorId}:events`,
    });
    const registry = new Registry();
    const metrics = createOrchestratorMetrics(registry);
    const records = new RecordStore(redis, keys, config.recordTtlMs);
    const hardware = new RunnerHardware({
      redis,
      keys,
      refreshMs: config.runnerRefreshMs,
      logger: logger.child({ component: 'hardware' }),
    });
    const submissions = new SubmissionService({
      redis,
      keys,
      records,
      hardware,
      metrics,
      idempotencyTtlMs: config.idempotencyTtlMs,
      redisTimeoutMs: config.redisTimeoutMs,
    });

    const eventLog = logger.child({ component: 'run-events' });
    const consumer = new RedisStreamConsumer('event', {
      blocking,
      commands: redis,
      stream: keys.runEvents,
      group: GROUPS.orchestrator,
      consumer: config.orchestratorId,
      deadStream: keys.dead,
      batchSize: config.batchSize,
      blockMs: config.blockMs,
      claimIdleMs: config.claimIdleMs,
      onDeadLetter: (reason, entryId, detail) => {
        metrics.deadLetters.inc({ reason });
        eventLog.warn({ reason, entryId, detail }, 'run event dead-lettered');
      },
      onError: (err) => eventLog.warn({ err }, 'reading run events failed; retrying'),
    });
    const loop = new StreamLoop({
      consumer,
      handle: createEventHandler({ consumer, records, hardware, metrics, logger: eventLog }),
      reclaimIntervalMs: Math.max(20, Math.floor(config.claimIdleMs / 4)),
      logger: eventLog,
    });
    let draining = false;

    const server = await listen(
      createApp({
        registry,
        metrics,
        logger,
        redisReady: ready,
        submissions,
        records,
        apiToken: config.apiToken,
        bodyLimitBytes: config.bodyLimitBytes,
        isDraining: () => draining,
      }),
      config.listen,
    );
    const [up] = await Promise.all([whenReady(redis, 2000), whenReady(blocking, 2000)]);
    if (up)
      await consumer
        .ensureGroup()
        .catch((err: Error) =>
          eventLog.warn({ err }, 'cannot create the orchestrator group yet; the reader will retry'),
        );
    loop.start();
    logger.info(
      {
        listen: formatListenAddress(config.listen),
        port: (server.address() as { port: number }).port,
        redis: config.redis.display,
        streamPrefix: config.streamPrefix,
        auth: config.apiToken ? 'bearer' : 'none',
        recordTtlMs: config.recordTtlMs,
      },
      'listening',
    );
    return {
      steps: [
        [
          'drain',
          async () => {
            draining = true;
            await loop.stop();
          },
        ],
        ['http', () => closeServer(server)],
        ['redis', async () => void (await Promise.all([closeRedis(redis), closeRedis(blocking)]))],
      ],
    };
  },
});
