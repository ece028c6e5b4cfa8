import { Registry } from 'prom-client';
import { formatListenAddress } from '@mesh/config';
import { createOrchestratorMetrics } from '@mesh/metrics-schema';
import { closeRedis, closeServer, connectRedis, listen, runService } from '@mesh/service-kit';
import { createApp } from './app';
import { ORCHESTRATOR_SETTINGS } from './config';

void runService({
  service: 'orchestrator',
  spec: ORCHESTRATOR_SETTINGS,
  env: process.env,
  argv: process.argv.slice(2),
  async start(config, logger) {
    const { redis, ready } = connectRedis(config.redis.url, 'orchestrator', logger);
    const registry = new Registry();
    createOrchestratorMetrics(registry);

    const server = await listen(createApp({ registry, logger, redisReady: ready }), config.listen);
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
