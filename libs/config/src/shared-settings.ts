import { DEFAULT_STREAM_PREFIX } from '@mesh/mesh-protocol';
import { MAX_PARTITIONS } from '@mesh/mesh-protocol';
import {
  parseClusterNodes,
  parseEnum,
  parseInteger,
  parseRedisUrl,
  parseStreamPrefix,
  withClusterNodes,
  withRedisPassword,
  type RedisUrl,
} from './parsers';
import { setting } from './setting';
import { TenantDomainMap } from './tenant-domain-map';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
/** How many partitions the shared streams and schedule are spread over with REDIS_CLUSTER_NODES, unless MESH_PARTITIONS says. */
export const DEFAULT_CLUSTER_PARTITIONS = 8;
/** How long Redis may leave a connection's handshake or a command unanswered, in ms, unless REDIS_TIMEOUT_MS says. */
export const DEFAULT_REDIS_TIMEOUT_MS = 10_000;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Settings every Mesh service reads. */
export const SHARED_SETTINGS = {
  redis: setting({
    env: 'REDIS_URL',
    default: DEFAULT_REDIS_URL,
    parse: parseRedisUrl,
    // The password as given and as it appears, encoded, in the URL handed to the client.
    secretsOf: (v: RedisUrl) => (v.password ? [v.password, encodeURIComponent(v.password)] : []),
    resolve: (v: RedisUrl, valueOf) => {
      const password = valueOf('REDIS_PASSWORD');
      const nodes = valueOf('REDIS_CLUSTER_NODES') as readonly string[] | undefined;
      const withPassword = typeof password === 'string' ? withRedisPassword(v, password) : v;
      return nodes ? withClusterNodes(withPassword, nodes) : withPassword;
    },
    doc: 'Redis to use: redis://[user:password@]host:port[/db] (db 0-15; ?password= works too), or rediss:// for TLS. REDIS_PASSWORD, when set, replaces the password.',
  }),
  redisClusterNodes: setting({
    env: 'REDIS_CLUSTER_NODES',
    parse: parseClusterNodes,
    doc: 'Seed nodes of a Redis Cluster, host:port,host:port: when set, every connection is cluster-aware, and REDIS_URL gives only the scheme (rediss:// for TLS), user and password; its database must be 0.',
  }),
  partitions: setting({
    env: 'MESH_PARTITIONS',
    docDefault: `1, or ${DEFAULT_CLUSTER_PARTITIONS} with REDIS_CLUSTER_NODES`,
    parse: parseInteger(1, MAX_PARTITIONS),
    doc: `How many partitions the shared streams (workflows, acks, run-events) and the schedule are spread over, so that a Redis Cluster spreads them over its masters (1-${MAX_PARTITIONS}). Every service of a mesh must use the same number: a service refuses to start when Redis records another.`,
  }),
  redisPassword: setting({
    env: 'REDIS_PASSWORD',
    secret: true,
    parse: (raw: string) => raw,
    doc: 'The Redis password, taken exactly as given (no URL-encoding needed): when set, it replaces any password in REDIS_URL. Never logged.',
  }),
  redisNoReplyTimeoutMs: setting({
    env: 'REDIS_TIMEOUT_MS',
    default: String(DEFAULT_REDIS_TIMEOUT_MS),
    parse: parseInteger(100, 600_000),
    doc: 'How long Redis may leave a new connection or a command unanswered (a blocking read: its block time plus this) before the connection is dropped, logged and made again.',
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

/** The number of partitions a service uses: MESH_PARTITIONS, else 1 for one Redis and DEFAULT_CLUSTER_PARTITIONS for a cluster. */
export function partitionsOf(config: {
  readonly partitions?: number | undefined;
  readonly redis: { readonly clusterNodes?: readonly string[] | undefined };
}): number {
  return config.partitions ?? (config.redis.clusterNodes ? DEFAULT_CLUSTER_PARTITIONS : 1);
}
