import { Registry } from 'prom-client';
import { formatListenAddress } from '@mesh/config';
import { createSupervisorMetrics } from '@mesh/metrics-schema';
import { closeRedis, closeServer, connectRedis, listen, runService } from '@mesh/service-kit';
import { createApp } from './app';
import { SUPERVISOR_SETTINGS } from './config';
import { publishTenantOverrides } from './routing/tenant-overrides';

void runService({
  service: 'supervisor',
  spec: SUPERVISOR_SETTINGS,
  env: process.env,
  argv: process.argv.slice(2),
  async start(config, logger) {
    const { redis, ready } = connectRedis(config.redis.url, 'supervisor', logger);
    const registry = new Registry();
    const metrics = createSupervisorMetrics(registry, {
      onLabelOverflow: (metric, label) => logger.warn({ metric, label }, 'metric label cap reached; new values are recorded as _other'),
    });
    publishTenantOverrides(metrics, config.tenantDomainMap);

    const server = await listen(createApp({ registry, logger, redisReady: ready }), config.listen);
    logger.info(
      {
        listen: formatListenAddress(config.listen),
        port: (server.address() as { port: number }).port,
        redis: config.redis.display,
        streamPrefix: config.streamPrefix,
        defaultDomain: config.defaultDomain,
        tenantOverrides: config.tenantDomainMap.toString(),
      },
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
