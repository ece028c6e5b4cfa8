import { DEFAULT_STREAM_PREFIX } from '@mesh/mesh-protocol';
import { parseEnum, parseRedisUrl, parseStreamPrefix } from './parsers';
import { setting } from './setting';
import { TenantDomainMap } from './tenant-domain-map';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Settings every Mesh service reads. */
export const SHARED_SETTINGS = {
  redis: setting({
    env: 'REDIS_URL',
    default: DEFAULT_REDIS_URL,
    parse: parseRedisUrl,
    secretsOf: (v) => (v.password ? [v.password] : []),
    doc: 'Redis to use: redis://[user:password@]host:port[/db], or rediss:// for TLS.',
  }),
  streamPrefix: setting({
    env: 'MESH_STREAM_PREFIX',
    default: DEFAULT_STREAM_PREFIX,
    parse: parseStreamPrefix,
    doc: 'Prefix of every Redis key and stream Mesh uses (e.g. mesh → mesh:workflows).',
  }),
  logLevel: setting({
    env: 'LOG_LEVEL',
    default: 'info',
    parse: parseEnum(...LOG_LEVELS),
    doc: `Log level: ${LOG_LEVELS.join(', ')}.`,
  }),
};

/** The tenant routing override setting (supervisor). */
export const TENANT_DOMAIN_MAP_SETTING = setting({
  env: 'MESH_TENANT_DOMAIN_MAP',
  flag: '--tenant-domain-map',
  default: '',
  parse: TenantDomainMap.parse,
  doc: 'Tenant routing overrides, tenantA=domain1,tenantB=domain2; the flag wins over the env var.',
});
