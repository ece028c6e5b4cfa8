export { setting, type Setting, type SettingSpec, type ConfigOf } from './setting';
export { loadConfig, secretsOf, isSecretSetting, type ConfigSource } from './load-config';
export { describeSettings } from './describe';
export {
  parseListenAddress,
  formatListenAddress,
  parseInteger,
  parseEnum,
  parseBoolean,
  parseName,
  parseList,
  parseStreamPrefix,
  parseRedisUrl,
  withRedisPassword,
  parseClusterNodes,
  withClusterNodes,
  REDIS_MAX_DB,
  type ListenAddress,
  type RedisUrl,
} from './parsers';
export { TenantDomainMap } from './tenant-domain-map';
export {
  SHARED_SETTINGS,
  TENANT_DOMAIN_MAP_SETTING,
  DEFAULT_REDIS_URL,
  DEFAULT_REDIS_TIMEOUT_MS,
  LOG_LEVELS,
  DEFAULT_CLUSTER_PARTITIONS,
  partitionsOf,
} from './shared-settings';
export { SERVICE_SETTINGS, DEFAULT_DOMAIN, API_TOKEN_ENVS, type ServiceName } from './service-settings';
