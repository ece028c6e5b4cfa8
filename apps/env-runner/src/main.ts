import { Registry } from 'prom-client';
import { formatListenAddress } from '@mesh/config';
import { createEnvRunnerHardwareMetrics, createEnvRunnerMetrics } from '@mesh/metrics-schema';
import { closeRedis, closeServer, connectRedis, listen, runService } from '@mesh/service-kit';
import { createApp } from './app';
import { ENV_RUNNER_SETTINGS } from './config';

void runService({
  service: 'env-runner',
  spec: ENV_RUNNER_SETTINGS,
  env: process.env,
  argv: process.argv.slice(2),
  async start(config, rootLogger) {
    const logger = rootLogger.child({ runnerId: config.runnerId, domain: config.domain });
    const { redis, ready } = connectRedis(config.redis.url, `env-runner:${config.runnerId}`, logger);
    const registry = new Registry();
    const hardwareRegistry = new Registry();
    createEnvRunnerMetrics(registry);
    createEnvRunnerHardwareMetrics(hardwareRegistry);

    const server = await listen(createApp({ registry, hardwareRegistry, logger, redisReady: ready }), config.listen);
    logger.info(
      { listen: formatListenAddress(config.listen), port: (server.address() as { port: number }).port, redis: config.redis.display, streamPrefix: config.streamPrefix },
      'listening',
    );
    return {
      steps: [
        ['http', () => closeServer(server)],
        ['redis', () => closeRedis(redis)],
      ],
    };
  },
});
