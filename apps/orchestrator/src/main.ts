import { Registry } from 'prom-client';
import { formatListenAddress } from '@mesh/config';
import { createOrchestratorMetrics } from '@mesh/metrics-schema';
import { createKeys } from '@mesh/mesh-protocol';
import { RunIndex, RunState } from '@mesh/run-state';
import { closeRedis, closeServer, connectRedis, listen, runService } from '@mesh/service-kit';
import { createApp } from './app';
import { ORCHESTRATOR_SETTINGS } from './config';
import { RunnerHardware } from './hardware/runner-hardware';
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
    const registry = new Registry();
    const metrics = createOrchestratorMetrics(registry);
    const state = new RunState(redis, keys, { finishedTtlMs: config.recordTtlMs });
    const index = new RunIndex(redis, keys, config.recordTtlMs);
    const hardware = new RunnerHardware({
      redis,
      keys,
      refreshMs: config.runnerRefreshMs,
      logger: logger.child({ component: 'hardware' }),
    });
    const submissions = new SubmissionService({
      redis,
      keys,
      state,
      index,
      hardware,
      metrics,
      idempotencyTtlMs: config.idempotencyTtlMs,
      redisTimeoutMs: config.redisTimeoutMs,
    });
    let draining = false;

    const server = await listen(
      createApp({
        registry,
        metrics,
        logger,
        redisReady: ready,
        submissions,
        state,
        index,
        apiToken: config.apiToken,
        bodyLimitBytes: config.bodyLimitBytes,
        isDraining: () => draining,
      }),
      config.listen,
    );
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
          () => {
            draining = true;
            return Promise.resolve();
          },
        ],
        ['http', () => closeServer(server)],
        ['redis', () => closeRedis(redis)],
      ],
    };
  },
});
