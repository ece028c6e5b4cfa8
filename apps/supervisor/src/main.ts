import { Registry } from 'prom-client';
import { formatListenAddress, partitionsOf, TenantDomainMap } from '@mesh/config';
import { ConfigError } from '@mesh/errors';
import { createSupervisorMetrics } from '@mesh/metrics-schema';
import { createKeys, createRedisClient } from '@mesh/mesh-protocol';
import { closeRedis, closeServer, connectRedis, listen, runService } from '@mesh/service-kit';
import { createApp } from './app';
import { SUPERVISOR_SETTINGS } from './config';
import { readTenantMapFile } from './routing/map-file';
import { Supervisor } from './supervisor';

// runService exits on its own failures (2: bad config, 1: start-up error, logged); any other rejection is a bug.
void runService({
  service: 'supervisor',
  spec: SUPERVISOR_SETTINGS,
  env: process.env,
  argv: process.argv.slice(2),
  shutdownTimeoutMs: (config) => config.shutdownGraceMs + 5000,
  async start(config, rootLogger) {
    const logger = rootLogger.child({ supervisorId: config.supervisorId });
    let tenantDomainMap: TenantDomainMap = config.tenantDomainMap;
    if (config.tenantDomainMapFile) {
      if (config.tenantDomainMap.size > 0)
        throw new ConfigError([
          'MESH_TENANT_DOMAIN_MAP_FILE: cannot be combined with MESH_TENANT_DOMAIN_MAP or --tenant-domain-map',
        ]);
      try {
        tenantDomainMap = readTenantMapFile(config.tenantDomainMapFile);
      } catch (err) {
        throw new ConfigError([`MESH_TENANT_DOMAIN_MAP_FILE: ${(err as Error).message}`]);
      }
    }

    const keys = createKeys(config.streamPrefix, partitionsOf(config));
    const { redis, ready } = connectRedis(config.redis, `supervisor:${config.supervisorId}`, logger, {
      noReplyTimeoutMs: config.redisNoReplyTimeoutMs,
      partitions: { service: 'supervisor', keys },
    });
    const readers: ReturnType<typeof createRedisClient>[] = [];
    const registry = new Registry();
    const metrics = createSupervisorMetrics(registry, {
      onLabelOverflow: (metric, label) =>
        logger.warn({ metric, label }, 'metric label cap reached; new values are recorded as _other'),
      onLabelInvalid: (metric, label, reason) =>
        logger.warn({ metric, label, reason }, 'metric label value refused; such values are recorded as _invalid'),
    });
    const supervisor = new Supervisor({
      config: { ...config, tenantDomainMap, partitions: keys.partitions },
      redis,
      connect: (name) => {
        const client = createRedisClient(config.redis, {
          connectionName: `supervisor:${config.supervisorId}:${name}`,
          noReplyTimeoutMs: config.redisNoReplyTimeoutMs,
          blockMs: config.blockMs,
        });
        readers.push(client);
        return client;
      },
      metrics,
      registry,
      logger,
    });

    process.on('SIGHUP', () => {
      if (!config.tenantDomainMapFile) {
        logger.warn(
          'SIGHUP: the tenant map comes from MESH_TENANT_DOMAIN_MAP or --tenant-domain-map, which cannot change; set MESH_TENANT_DOMAIN_MAP_FILE to reload',
        );
        return;
      }
      try {
        const next = readTenantMapFile(config.tenantDomainMapFile);
        supervisor.router.replace(next);
        logger.info({ tenantOverrides: next.toString() }, 'tenant map reloaded');
      } catch (err) {
        logger.error(
          { err, kept: supervisor.router.current.toString() },
          'tenant map refused; keeping the current one',
        );
      }
    });

    const server = await listen(
      createApp({
        registry,
        logger,
        redisReady: ready,
        isDraining: () => supervisor.isDraining,
        progressing: () => supervisor.progress.stalled().length === 0,
      }),
      config.listen,
    );
    await supervisor.start();
    logger.info(
      {
        listen: formatListenAddress(config.listen),
        port: (server.address() as { port: number }).port,
        redis: config.redis.display,
        streamPrefix: config.streamPrefix,
        defaultDomain: config.defaultDomain,
        tenantOverrides: tenantDomainMap.toString(),
      },
      'listening',
    );
    return {
      steps: [
        ['drain', () => supervisor.stop(config.shutdownGraceMs)],
        ['http', () => closeServer(server)],
        ['redis', async () => void (await Promise.all([closeRedis(redis), ...readers.map(closeRedis)]))],
      ],
    };
  },
});
