export {
  createRedisTestContext,
  closeClient,
  deleteByPrefix,
  eventually,
  TEST_DEADLINE_MS,
  TEST_REDIS_URL,
  type RedisTestContext,
} from './redis-context';
export { startServiceProcess, runServiceToExit, WORKSPACE_ROOT, type ServiceProcess } from './service-process';
export { checkMetrics } from './promtool';
export { describeServiceLifecycle, type LifecycleSpec } from './service-lifecycle';
export { undocumentedSettings } from './settings-doc';
export { AclUser } from './acl-user';
export { freePort, PrivateRedis } from './private-redis';
export { RedisCluster, type RedisClusterOptions } from './redis-cluster';
