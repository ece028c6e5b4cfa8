import type { Logger } from '@mesh/logging';
import {
  createRedisClient,
  DEFAULT_NO_REPLY_TIMEOUT_MS,
  isNoReplyError,
  mastersOf,
  pingRedis,
  type MeshKeys,
  type Redis,
  type RedisTarget,
} from '@mesh/mesh-protocol';
import type { ReadinessCheck } from './http-app';

export interface ConnectRedisOptions {
  /** REDIS_TIMEOUT_MS: how long Redis may leave the handshake or a command unanswered (default 10000). */
  readonly noReplyTimeoutMs?: number;
  /**
   * The number of partitions this service uses (MESH_PARTITIONS). Every service of a mesh must use the same:
   * on each connection the number is recorded unless one is already (SET NX), and a service that finds
   * another refuses to go on (one line, exit 2). Until the check passes, the readiness check fails.
   */
  readonly partitions?: {
    /** The service's name, for its one-line refusal. */
    readonly service: string;
    /** Its keys: their number of partitions, and where the mesh records its own. */
    readonly keys: MeshKeys;
  };
}

/**
 * What a service does when Redis records another number of partitions than its own: one line naming the
 * setting on stderr, and exit 2 (as for a bad setting), moments after connecting.
 */
function refuseOtherPartitions(service: string, count: number, key: string): (recorded: string) => void {
  return (recorded) => {
    process.stderr.write(
      `${service}: MESH_PARTITIONS: is ${count}, but the mesh in this Redis uses ${recorded} (key ${key}); every service of a mesh must use the same number\n`,
    );
    process.exit(2);
  };
}

/**
 * Records `count` under `key` unless a number is recorded; resolves with the recorded number's text. A mesh
 * that ran before the number was recorded used one partition, whose streams have the plain names
 * (`singleStreams`): when one of them exists, 1 is recorded instead, so that a service with more partitions
 * refuses to start rather than leave that mesh's pending work unread.
 */
export async function agreePartitions(
  redis: Redis,
  key: string,
  count: number,
  singleStreams: readonly string[] = [],
): Promise<string> {
  let recording = String(count);
  if (count > 1 && (await redis.get(key)) === null)
    for (const stream of singleStreams) if ((await redis.exists(stream)) === 1) recording = '1';
  await redis.set(key, recording, 'NX');
  return (await redis.get(key)) ?? recording;
}

/**
 * A Redis client for a service that logs connection trouble once per outage (not once per retry) and its
 * recovery, checks once connected that Redis keeps what it is given (maxmemory-policy, persistence), and a
 * readiness check for `/readyz`.
 */
export function connectRedis(
  target: string | RedisTarget,
  connectionName: string,
  logger: Logger,
  options: ConnectRedisOptions = {},
): { redis: Redis; ready: ReadinessCheck } {
  const log = logger.child({ component: 'redis', connection: connectionName });
  const noReply = options.noReplyTimeoutMs ?? DEFAULT_NO_REPLY_TIMEOUT_MS;
  let down = false;
  let checked = false;
  let agreed = options.partitions === undefined;
  let lastNodeError = -Infinity;
  const redis = createRedisClient(target, {
    connectionName,
    noReplyTimeoutMs: noReply,
    // A Redis Cluster node lost (a failover): the client moves on by itself; said at most once per 10 s.
    onNodeError: (err) => {
      if (Date.now() - lastNodeError < 10_000) return;
      lastNodeError = Date.now();
      log.warn({ err }, 'a Redis Cluster node failed; following the cluster to its new master');
    },
    onError: (err) => {
      if (down) return;
      down = true;
      if (isNoReplyError(err))
        log.warn(
          {
            reason: `Redis accepted the connection but did not answer within ${noReply} ms`,
            setting: 'REDIS_TIMEOUT_MS',
            timeoutMs: noReply,
          },
          'redis unavailable, reconnecting',
        );
      else log.warn({ err }, 'redis unavailable, reconnecting');
    },
  });
  redis.on('ready', () => {
    if (down) log.info('redis available again');
    down = false;
    checkPartitions();
    if (checked) return;
    checked = true;
    void checkRedisSetup(redis, log); // never rejects: it logs what it could not check
  });
  // Not ready until the check passes; a failed check is tried again while connected.
  function checkPartitions(): void {
    const partitions = options.partitions;
    if (!partitions || redis.status !== 'ready') return;
    const { service, keys } = partitions;
    const single = [keys.unpartitioned.workflows, keys.unpartitioned.acks];
    agreePartitions(redis, keys.partitionCount, keys.partitions, single).then(
      (recorded) => {
        if (recorded === String(keys.partitions)) agreed = true;
        else refuseOtherPartitions(service, keys.partitions, keys.partitionCount)(recorded);
      },
      (err: unknown) => {
        log.warn({ err }, 'could not check MESH_PARTITIONS against Redis; retrying');
        setTimeout(checkPartitions, 1000).unref();
      },
    );
  }
  return { redis, ready: async () => agreed && (await pingRedis(redis, 1000)) };
}

/**
 * Warns when Redis may drop what Mesh wrote: a maxmemory-policy other than noeviction evicts stream entries and
 * run keys under memory pressure, and no persistence at all loses everything on a restart. A Redis that refuses
 * CONFIG (managed services often do) is noted at info level, and nothing else happens.
 */
export async function checkRedisSetup(redis: Redis, log: Logger): Promise<void> {
  // Each master of a cluster has settings of its own.
  const masters = mastersOf(redis);
  for (const node of masters) {
    const where = masters.length > 1 ? { node: `${node.options.host ?? ''}:${node.options.port ?? ''}` } : {};
    await checkNodeSetup(node, masters.length > 1 ? log.child(where) : log);
  }
}

async function checkNodeSetup(redis: Redis, log: Logger): Promise<void> {
  let config: Map<string, string>;
  try {
    const pairs = (await redis.call('CONFIG', 'GET', 'maxmemory-policy')) as string[];
    const persistence = (await redis.call('CONFIG', 'GET', 'appendonly')) as string[];
    const save = (await redis.call('CONFIG', 'GET', 'save')) as string[];
    config = new Map<string, string>();
    for (const list of [pairs, persistence, save])
      for (let i = 0; i + 1 < list.length; i += 2) config.set(String(list[i]), String(list[i + 1]));
  } catch (err) {
    log.info(
      { err },
      'maxmemory-policy could not be checked (CONFIG refused); it must be noeviction, or Redis may evict stream entries and run state (lost work)',
    );
    return;
  }
  const policy = config.get('maxmemory-policy');
  if (policy !== undefined && policy !== 'noeviction')
    log.warn(
      { maxmemoryPolicy: policy },
      'Redis may evict keys under memory pressure (maxmemory-policy is not noeviction): evicted stream entries and run keys are lost work; set maxmemory-policy noeviction',
    );
  else log.debug({ maxmemoryPolicy: policy }, 'redis eviction policy checked');
  if (config.get('appendonly') === 'no' && config.get('save') === '')
    log.warn(
      { appendonly: 'no', save: '' },
      'Redis keeps nothing across a restart (no AOF, no snapshots): runs in flight when it restarts are lost; see docs/guarantees.md',
    );
}

/** Closes a client politely (QUIT), or drops it if Redis does not answer. */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === 'end') return;
  if (redis.status !== 'ready') return redis.disconnect();
  await redis.quit().catch(() => redis.disconnect());
}
