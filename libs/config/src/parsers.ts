import { meshNameProblem, prefixProblem } from '@mesh/mesh-protocol';

/** A listen address: `host:port`, `:port` (all interfaces) or `[ipv6]:port`. */
export interface ListenAddress {
  /** undefined means every interface. */
  readonly host: string | undefined;
  readonly port: number;
}

export function parseListenAddress(raw: string): ListenAddress {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]*)):(\d{1,5})$/.exec(raw.trim());
  if (!match) throw new Error(`${JSON.stringify(raw)} is not host:port or :port`);
  const port = Number(match[3]);
  if (port > 65535) throw new Error(`port ${port} is out of range (0-65535)`);
  const host = match[1] ?? match[2];
  return Object.freeze({ host: host === '' ? undefined : host, port });
}

export function formatListenAddress(address: ListenAddress): string {
  if (address.host === undefined) return `:${address.port}`;
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

export function parseInteger(min: number, max: number): (raw: string) => number {
  return (raw) => {
    if (!/^-?\d+$/.test(raw.trim())) throw new Error(`${JSON.stringify(raw)} is not an integer`);
    const value = Number(raw);
    if (value < min || value > max) throw new Error(`${value} is out of range (${min}-${max})`);
    return value;
  };
}

export function parseEnum<const V extends string>(...values: V[]): (raw: string) => V {
  return (raw) => {
    if (!(values as string[]).includes(raw))
      throw new Error(`${JSON.stringify(raw)} is not one of ${values.join(', ')}`);
    return raw as V;
  };
}

export function parseBoolean(raw: string): boolean {
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new Error(`${JSON.stringify(raw)} is not a boolean (true/false)`);
}

/** A Mesh name (domain, runner id). */
export function parseName(raw: string): string {
  const problem = meshNameProblem(raw);
  if (problem) throw new Error(problem);
  return raw;
}

export function parseStreamPrefix(raw: string): string {
  const problem = prefixProblem(raw);
  if (problem) throw new Error(problem);
  return raw;
}

/** A comma-separated list of non-empty items. */
export function parseList(raw: string): readonly string[] {
  const items = raw.split(',').map((s) => s.trim());
  const empty = items.findIndex((s) => s === '');
  if (empty >= 0) throw new Error(`entry ${empty + 1} is empty`);
  return Object.freeze(items);
}

/** A Redis URL (`redis://` or `rediss://`). Errors never repeat the URL: it may hold a password. */
export interface RedisUrl {
  readonly url: string;
  readonly tls: boolean;
  /** The password, from `user:password@` or `?password=`; a secret that logs mask. */
  readonly password: string | undefined;
  /** The database index (0 unless `/<db>` or `?db=` says otherwise). */
  readonly db: number;
  /** The URL with the password masked, safe for logs. */
  readonly display: string;
  /** Seed nodes of a Redis Cluster (REDIS_CLUSTER_NODES), `host:port` each; absent for one Redis. */
  readonly clusterNodes?: readonly string[];
}

/**
 * REDIS_CLUSTER_NODES: `host:port` seed nodes of a Redis Cluster, comma-separated (an IPv6 host in brackets,
 * `[::1]:7000`). The client learns the other nodes from them.
 */
export function parseClusterNodes(raw: string): readonly string[] {
  const nodes = parseList(raw);
  nodes.forEach((node, i) => {
    const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})$/.exec(node);
    const port = m ? Number(m[2]) : 0;
    if (!m || port < 1 || port > 65535)
      throw new Error(`entry ${i + 1} (${JSON.stringify(node)}) is not host:port (e.g. redis-0.redis:6379)`);
  });
  return nodes;
}

/** `redis` for the cluster whose seed nodes are `nodes`: its database must be 0, the only one a cluster has. */
export function withClusterNodes(redis: RedisUrl, nodes: readonly string[]): RedisUrl {
  if (redis.db !== 0)
    throw new Error(
      `database ${redis.db} is not available with REDIS_CLUSTER_NODES (a Redis Cluster has only database 0)`,
    );
  return Object.freeze({ ...redis, clusterNodes: nodes, display: `${redis.display} (cluster: ${nodes.join(',')})` });
}

/** Databases a stock Redis has (`databases 16`): a higher index is refused before anything connects. */
export const REDIS_MAX_DB = 15;

/** Query parameters the Redis client understands that Mesh accepts; any other is refused, naming it. */
const REDIS_URL_PARAMS = new Set(['password', 'username', 'db', 'family']);

export function parseRedisUrl(raw: string): RedisUrl {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error('is not a URL (expected redis://[user:password@]host:port[/db])');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:')
    throw new Error(`scheme ${url.protocol} is not redis: or rediss:`);
  if (url.hostname === '') throw new Error('has no host');
  for (const name of url.searchParams.keys())
    if (!REDIS_URL_PARAMS.has(name))
      throw new Error(
        `query parameter ${JSON.stringify(name)} is not supported (only ${[...REDIS_URL_PARAMS].join(', ')})`,
      );
  if (url.pathname !== '' && url.pathname !== '/' && !/^\/\d+$/.test(url.pathname))
    throw new Error(`database must be a number (/0 … /${REDIS_MAX_DB})`);
  const dbText = url.searchParams.get('db') ?? (url.pathname.length > 1 ? url.pathname.slice(1) : '0');
  if (!/^\d+$/.test(dbText)) throw new Error(`database must be a number (0 … ${REDIS_MAX_DB})`);
  const db = Number(dbText);
  if (db > REDIS_MAX_DB) throw new Error(`database ${db} is out of range (0-${REDIS_MAX_DB})`);
  // The client takes ?password= over none in the user info, as ioredis does.
  let fromUserInfo: string | undefined;
  try {
    fromUserInfo = url.password === '' ? undefined : decodeURIComponent(url.password);
  } catch {
    // The client would fail the same way; say why here, once, without the password.
    throw new Error(
      'the password has a "%" that is not a valid %-escape: percent-encode the password, or leave it out and set REDIS_PASSWORD',
    );
  }
  const password = fromUserInfo ?? (url.searchParams.get('password') || undefined);
  return Object.freeze({ url: raw, tls: url.protocol === 'rediss:', password, db, display: displayOf(url) });
}

/**
 * `redis` with its password replaced by `password` (REDIS_PASSWORD), taken exactly as given: the URL handed
 * to the client carries it percent-encoded (the client decodes it back), and any `?password=` is dropped.
 */
export function withRedisPassword(redis: RedisUrl, password: string): RedisUrl {
  const url = new URL(redis.url);
  if (url.searchParams.has('password')) url.searchParams.delete('password');
  // encodeURIComponent, not the setter alone: the setter leaves "%" as it is, so "%41" would reach Redis as "A".
  url.password = encodeURIComponent(password);
  return Object.freeze({ ...redis, url: url.href, password, display: displayOf(url) });
}

/** `url` with its password masked, safe for logs. */
function displayOf(url: URL): string {
  const display = new URL(url.href);
  if (display.password !== '') display.password = '***';
  let shown = display.href;
  if (display.searchParams.has('password')) shown = shown.replace(/([?&]password=)[^&#]*/, '$1***');
  return shown;
}
