import { Registry } from 'prom-client';
import { formatListenAddress, partitionsOf } from '@mesh/config';
import { ConfigError } from '@mesh/errors';
import {
  createEnvRunnerHardwareMetrics,
  createEnvRunnerMetrics,
  initialiseEnvRunnerMetrics,
} from '@mesh/metrics-schema';
import { createKeys, createRedisClient, whenReady } from '@mesh/mesh-protocol';
import { closeRedis, closeServer, connectRedis, listen, runService } from '@mesh/service-kit';
import { createApp } from './app';
import { ENV_RUNNER_SETTINGS } from './config';
import { createAssignmentPipeline } from './execution/pipeline';
import { HardwareCollector } from './hardware/collector';
import { systemSources } from './hardware/sources';
import { readManifest } from './manifest';
import { RunnerRegistration } from './registry/registration';
import { EXEC_ENV_PASSTHROUGH } from './tasks/exec';
import { builtinHandlers, HandlerRegistry, loadHandlersModule } from './tasks/registry';

// runService exits on its own failures (2: bad config, 1: start-up error, logged); any other rejection is a bug.
void runService({
  service: 'env-runner',
  spec: ENV_RUNNER_SETTINGS,
  env: process.env,
  argv: process.argv.slice(2),
  shutdownTimeoutMs: (config) => config.shutdownGraceMs + 5000,
  async start(config, rootLogger) {
    const logger = rootLogger.child({ runnerId: config.runnerId, domain: config.domain });

    // Files named by settings are checked before anything connects: a bad one stops start-up with one line.
    let handlers: HandlerRegistry;
    let manifest;
    try {
      const execEnv = Object.fromEntries(
        EXEC_ENV_PASSTHROUGH.flatMap((k) => (process.env[k] === undefined ? [] : [[k, process.env[k] as string]])),
      );
      const extra = config.handlersModule ? loadHandlersModule(config.handlersModule) : [];
      handlers = new HandlerRegistry([
        ...builtinHandlers({ allow: config.execAllow, outputLimitBytes: config.outputLimitBytes, env: execEnv }),
        ...extra,
      ]);
      manifest = config.servicesFile ? readManifest(config.servicesFile) : undefined;
    } catch (err) {
      throw new ConfigError([(err as Error).message]);
    }
    if (manifest) logger.info({ manifest, file: config.servicesFile }, 'mesh manifest');
    const bare = config.execAllow.filter((r) => r.legacy).map((r) => r.command);
    if (bare.length > 0)
      logger.warn(
        { commands: bare },
        'RUNNER_EXEC_ALLOW names commands without argument patterns: they run with no arguments (see docs/exec.md)',
      );

    const keys = createKeys(config.streamPrefix, partitionsOf(config));
    const { redis, ready } = connectRedis(config.redis, `env-runner:${config.runnerId}`, logger, {
      noReplyTimeoutMs: config.redisNoReplyTimeoutMs,
      partitions: { service: 'env-runner', keys },
    });
    const blocking = createRedisClient(config.redis, {
      connectionName: `env-runner:${config.runnerId}:reader`,
      noReplyTimeoutMs: config.redisNoReplyTimeoutMs,
      blockMs: config.blockMs,
    });
    const registry = new Registry();
    const hardwareRegistry = new Registry();
    const metrics = createEnvRunnerMetrics(registry, {
      onLabelOverflow: (metric, label) =>
        logger.warn({ metric, label }, 'metric label cap reached; new values are recorded as _other'),
      onLabelInvalid: (metric, label, reason) =>
        logger.warn({ metric, label, reason }, 'metric label value refused; such values are recorded as _invalid'),
    });
    // Every outcome of every kind starts at 0, so rate() sees the first failure.
    initialiseEnvRunnerMetrics(metrics, { kinds: handlers.kinds() });

    const registration = new RunnerRegistration({
      redis,
      keys,
      runnerId: config.runnerId,
      domain: config.domain,
      leaseMs: config.leaseMs,
      heartbeatMs: config.heartbeatMs,
      concurrency: config.concurrency,
      kinds: handlers.kinds(),
      hardware: () => hardware.latest(),
      logger: logger.child({ component: 'registry' }),
    });
    const hardware = new HardwareCollector({
      runnerId: config.runnerId,
      sources: systemSources,
      metrics,
      hardwareMetrics: createEnvRunnerHardwareMetrics(hardwareRegistry),
      logger: logger.child({ component: 'hardware' }),
      intervalMs: config.hardwareIntervalMs,
      // beat() never rejects: it logs its own failures.
      onChange: () => void registration.beat(),
    });
    const firstSnapshot = hardware.start();

    const { runner, acks, consumer } = createAssignmentPipeline({
      keys,
      domain: config.domain,
      runnerId: config.runnerId,
      redis,
      blocking,
      handlers,
      metrics,
      logger: logger.child({ component: 'assignments' }),
      concurrency: config.concurrency,
      blockMs: config.blockMs,
      claimIdleMs: config.claimIdleMs,
      maxDeliveries: config.maxDeliveries,
      outputLimitBytes: config.outputLimitBytes,
    });
    // Give Redis a moment so the first reads do not fail noisily; if it is down, the reader retries.
    const [commandsUp] = await Promise.all([whenReady(redis, 2000), whenReady(blocking, 2000)]);
    if (commandsUp) {
      await consumer
        .ensureGroup()
        .catch((err: Error) => logger.warn({ err }, 'cannot create the runners group yet; the reader will retry'));
    }

    const server = await listen(
      createApp({
        registry,
        hardwareRegistry,
        hardware: () => hardware.latest(),
        logger,
        redisReady: ready,
        isDraining: () => runner.draining,
      }),
      config.listen,
    );
    await firstSnapshot;
    registration.start();
    runner.start();
    // Cancelled runs, as they happen: this runner aborts its attempts of them. A message missed while
    // disconnected is made up for on the next lease renewal, which reads the runs' statuses.
    const cancels = createRedisClient(config.redis, {
      connectionName: `env-runner:${config.runnerId}:cancels`,
      noReplyTimeoutMs: config.redisNoReplyTimeoutMs,
    });
    cancels.on('message', (_channel: string, runId: string) => runner.cancelRun(runId));
    // On every (re)connection: subscribing again to the same channel is harmless.
    cancels.on('ready', () => {
      cancels
        .subscribe(keys.cancels)
        .catch((err: unknown) =>
          logger.warn({ err }, 'cannot subscribe to cancels; lease renewals still find cancelled runs'),
        );
    });
    logger.info(
      {
        listen: formatListenAddress(config.listen),
        port: (server.address() as { port: number }).port,
        redis: config.redis.display,
        stream: keys.assignments(config.domain),
        concurrency: config.concurrency,
        claimIdleMs: config.claimIdleMs,
        kinds: handlers.kinds(),
      },
      'listening',
    );

    return {
      steps: [
        [
          'drain',
          async () => {
            const { abandoned } = await runner.stop(config.shutdownGraceMs);
            if (abandoned > 0)
              logger.warn({ abandoned }, 'grace period over; unfinished assignments are left for other runners');
            acks.dropPickups();
            await acks.flush(AbortSignal.timeout(3000));
            if (acks.pending > 0)
              logger.warn({ pending: acks.pending }, 'acks not written; those assignments will be reclaimed');
          },
        ],
        ['deregister', () => registration.deregister()],
        ['hardware', () => hardware.stop()],
        ['http', () => closeServer(server)],
        ['redis', async () => void (await Promise.all([closeRedis(redis), closeRedis(blocking), closeRedis(cancels)]))],
      ],
    };
  },
});
