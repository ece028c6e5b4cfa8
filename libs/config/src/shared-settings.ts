import { DEFAULT_STREAM_PREFIX } from '@mesh/mesh-protocol';
import { parseEnum, parseInteger, parseRedisUrl, parseStreamPrefix, withRedisPassword, type RedisUrl } from './parsers';
import { setting } from './setting';
import { TenantDomainMap } from './tenant-domain-map';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
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
      return typeof password === 'string' ? withRedisPassword(v, password) : v;
    },
    doc: 'Redis to use: redis://[user:password@]host:port[/db] (db 0-15; ?password= works too), or rediss:// for TLS. REDIS_PASSWORD, when set, replaces the password.',
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
