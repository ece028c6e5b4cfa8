import { Registry } from 'prom-client';
import { formatListenAddress, partitionsOf, type ListenAddress } from '@mesh/config';
import { createOrchestratorMetrics } from '@mesh/metrics-schema';
import { createKeys, createRedisClient } from '@mesh/mesh-protocol';
import { RunIndex, RunState } from '@mesh/run-state';
import { closeRedis, closeServer, connectRedis, listen, runService } from '@mesh/service-kit';
import { Admission } from './admission/admission';
import { createApp } from './app';
import { defaultConsoleDir } from './console/console';
import { RunEventHub } from './events/run-event-hub';
import { RunControl } from './runs/run-control';
import { explainWaits } from './runs/waiting';
import { ApiTokens } from './auth/api-tokens';
import { listenAddressFor } from './auth/loopback';
import { ORCHESTRATOR_SETTINGS } from './config';
import { RunnerHardware } from './hardware/runner-hardware';
import { DataEpoch } from './runs/data-epoch';
import { SubmissionService } from './submissions/submission-service';

// runService exits on its own failures (2: bad config, 1: start-up error, logged); any other rejection is a bug.
void runService({
  service: 'orchestrator',
  spec: ORCHESTRATOR_SETTINGS,
  env: process.env,
  argv: process.argv.slice(2),
  async start(config, rootLogger) {
    const logger = rootLogger.child({ orchestratorId: config.orchestratorId });
    const keys = createKeys(config.streamPrefix, partitionsOf(config));
    const tokens = ApiTokens.fromConfig(config);
    const address: ListenAddress = listenAddressFor(config.listen, tokens.configured);
    if (!tokens.configured)
      logger.warn(
        { listen: formatListenAddress(address), configured: formatListenAddress(config.listen) },
        'no API token is configured (MESH_API_TOKENS, MESH_API_TOKEN): the API answers on loopback only; set a token to serve other hosts',
      );
    const { redis, ready } = connectRedis(config.redis, `orchestrator:${config.orchestratorId}`, logger, {
      noReplyTimeoutMs: config.redisNoReplyTimeoutMs,
      partitions: { service: 'orchestrator', keys },
    });
    const registry = new Registry();
    const metrics = createOrchestratorMetrics(registry, {
      onLabelOverflow: (metric, label) =>
        logger.warn({ metric, label }, 'metric label cap reached; new values are recorded as _other'),
      onLabelInvalid: (metric, label, reason) =>
        logger.warn({ metric, label, reason }, 'metric label value refused; such values are recorded as _invalid'),
    });
    // Written on every (re)connection, before anything else is sent on it: after a Redis restart that kept
    // nothing, runs accepted before it are told apart from runs that never were.
    const epoch = new DataEpoch(redis, keys);
    redis.on('ready', () => {
      epoch.mark().catch((err: unknown) => logger.warn({ err }, 'could not mark when the Redis data set began'));
    });
    // Only a cancel ends a run here; its keys are kept as long as the supervisors keep those of other ended runs.
    const state = new RunState(redis, keys, { finishedTtlMs: config.finishedRunTtlMs });
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
      admission: new Admission({
        redis,
        keys,
        maxQueuedRuns: config.maxQueuedRuns,
        maxQueuedRunsPerTenant: config.maxQueuedRunsPerTenant,
      }),
    });
    // The event streams' blocking reads get a connection of their own (blocking up to 2 s beyond its timeout).
    const hub = new RunEventHub({
      connect: (partition) =>
        createRedisClient(config.redis, {
          connectionName: `orchestrator:${config.orchestratorId}:events${keys.partitions === 1 ? '' : `:${partition}`}`,
          noReplyTimeoutMs: config.redisNoReplyTimeoutMs,
          blockMs: 2000,
        }),
      redis,
      keys,
      logger: logger.child({ component: 'events' }),
      blockMs: 2000,
    });
    const control = new RunControl({
      redis,
      keys,
      state,
      onCancelled: () => metrics.runsCancelled.inc(),
      onPublishFailed: (err, runId) =>
        logger.warn({ err, runId }, 'run cancelled, but its event or the runners message was not written'),
    });
    const record = async (runId: string) => {
      const r = await state.record(runId);
      return r && explainWaits(redis, keys, r);
    };
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
        epoch,
        tokens,
        bodyLimitBytes: config.bodyLimitBytes,
        redisTimeoutMs: config.redisTimeoutMs,
        isDraining: () => draining,
        control,
        hub,
        record,
        console: { dir: config.consoleDir || defaultConsoleDir(), links: config.consoleLinks },
        sseHeartbeatMs: config.sseHeartbeatMs,
      }),
      address,
    );
    logger.info(
      {
        listen: formatListenAddress(address),
        port: (server.address() as { port: number }).port,
        redis: config.redis.display,
        streamPrefix: config.streamPrefix,
        auth: tokens.configured ? 'bearer' : 'none',
        recordTtlMs: config.recordTtlMs,
        maxQueuedRuns: config.maxQueuedRuns,
        maxQueuedRunsPerTenant: config.maxQueuedRunsPerTenant,
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
        // Event streams end first: an open stream would hold the HTTP server's close.
        ['events', () => hub.close()],
        ['http', () => closeServer(server)],
        ['redis', () => closeRedis(redis)],
      ],
    };
  },
});
