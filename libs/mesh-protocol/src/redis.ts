import Redis, { Cluster, type ChainableCommander } from 'ioredis';
import { keySlot } from './slot';

export type { Redis };

/**
 * Where Redis is: a URL (`redis://` or `rediss://`, with optional user and password), and, for a Redis
 * Cluster, its seed nodes. With `clusterNodes` the client is cluster-aware and the URL gives only the scheme
 * (TLS or not), the user and the password; a cluster has only database 0.
 */
export interface RedisTarget {
  readonly url: string;
  /** Seed nodes of a Redis Cluster, `host:port` each (REDIS_CLUSTER_NODES). */
  readonly clusterNodes?: readonly string[];
}

export interface RedisClientOptions {
  /** Shown in CLIENT LIST, e.g. `supervisor:acks-reader`. */
  readonly connectionName: string;
  /**
   * Queue commands while disconnected (default false: a command fails at once when Redis is down,
   * so callers answer 503 instead of hanging).
   */
  readonly enableOfflineQueue?: boolean;
  /** Reconnect delay cap in ms (default 2000); reconnection never stops. */
  readonly maxReconnectDelayMs?: number;
  /** Called for connection errors; the client reconnects by itself. Never given the URL. */
  readonly onError?: (err: Error) => void;
  /**
   * A Redis Cluster only: called for the errors of one node's connection (a master lost in a failover), which
   * the client rides out by itself (it moves to the node's replica once promoted). Not a sign that Redis is away.
   */
  readonly onNodeError?: (err: Error) => void;
  readonly lazyConnect?: boolean;
  /**
   * How long disconnect() gives the socket to close before destroying it, in ms (default 2000). The timer
   * runs even when the socket is already gone (after a refused connection), and holds the process that long.
   */
  readonly disconnectTimeoutMs?: number;
  /**
   * How long Redis may leave the connection's handshake or a command unanswered, in ms (default 10000): then
   * the connection is dropped (commands in flight reject, the error says so) and made again. A Redis that
   * accepts connections but never answers would otherwise hold every command, and blocking reads, forever.
   */
  readonly noReplyTimeoutMs?: number;
  /** The longest BLOCK this connection's reads use, in ms (default 0): added to `noReplyTimeoutMs` for it. */
  readonly blockMs?: number;
}

/** The default of RedisClientOptions.noReplyTimeoutMs. */
export const DEFAULT_NO_REPLY_TIMEOUT_MS = 10_000;

/** How the errors of a connection, or a command, that got no reply in time begin. */
const NO_REPLY_MESSAGES = ['Socket timeout', 'Command timed out'];

/**
 * A Redis client for `target`: a URL (`redis://` or `rediss://`, with optional user and password), or a URL
 * and the seed nodes of a Redis Cluster. Speaks RESP2 so that replies have one shape on every server version.
 */
export function createRedisClient(target: string | RedisTarget, options: RedisClientOptions): Redis {
  const { url, clusterNodes } = typeof target === 'string' ? { url: target, clusterNodes: undefined } : target;
  if (clusterNodes && clusterNodes.length > 0) return createClusterClient(url, clusterNodes, options);
  const maxDelay = options.maxReconnectDelayMs ?? 2000;
  const noReply = options.noReplyTimeoutMs ?? DEFAULT_NO_REPLY_TIMEOUT_MS;
  const client = new Redis(url, {
    protocol: 2,
    connectionName: options.connectionName,
    enableOfflineQueue: options.enableOfflineQueue ?? false,
    maxRetriesPerRequest: 1,
    lazyConnect: options.lazyConnect ?? false,
    disconnectTimeout: options.disconnectTimeoutMs ?? 2000,
    connectTimeout: noReply,
    // A command in flight fails after this long (a blocking read: after its block time plus this)...
    commandTimeout: noReply + (options.blockMs ?? 0),
    // ...and a connection that received nothing for as long while a command (the handshake's too) waited is
    // dropped and made again.
    socketTimeout: noReply + (options.blockMs ?? 0),
    // Never sent again after a reconnect: its caller may have given up on it already (a timed-out XREADGROUP
    // sent again would deliver entries to nobody). The commands in flight fail instead (below); callers retry.
    autoResendUnfulfilledCommands: false,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 10), maxDelay),
  });
  client.on('error', options.onError ?? (() => undefined));
  client.on('reconnecting', () => failUnfulfilled(client));
  return client;
}

/**
 * A cluster-aware client. Typed as Redis: a cluster client speaks the same commands (each routed to the
 * node of its key's slot), so services need not know which they hold. What differs is documented where
 * it matters: a pipeline must stay within one node's slots (spreadPipeline() splits one that does not),
 * and pub/sub messages reach every node (PUBLISH is broadcast across a cluster).
 */
function createClusterClient(url: string, nodes: readonly string[], options: RedisClientOptions): Redis {
  const maxDelay = options.maxReconnectDelayMs ?? 2000;
  const noReply = options.noReplyTimeoutMs ?? DEFAULT_NO_REPLY_TIMEOUT_MS;
  const parsed = new URL(url);
  const password =
    parsed.password !== '' ? decodeURIComponent(parsed.password) : parsed.searchParams.get('password') || undefined;
  const username = parsed.username !== '' ? decodeURIComponent(parsed.username) : undefined;
  const cluster = new Cluster(nodes.map(parseNode), {
    enableOfflineQueue: options.enableOfflineQueue ?? false,
    lazyConnect: options.lazyConnect ?? false,
    // No auto-pipelining: ioredis retries a pipeline after a failover's MOVED replies only when every reply
    // names the same slot, so a pipeline spanning slots would fail, and keep failing, after one.
    enableAutoPipelining: false,
    // Besides following MOVED replies, re-read the slots now and then (each refresh opens a connection).
    slotsRefreshInterval: 30_000,
    // Seed nodes are dialled by name, not by an address looked up once: a seed whose name does not resolve
    // (a pod not in DNS yet) does not hold up the others, and TLS checks the name the certificate gives.
    dnsLookup: (address, callback) => callback(null, address),
    clusterRetryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 10), maxDelay),
    slotsRefreshTimeout: Math.min(noReply, 5000),
    redisOptions: {
      protocol: 2,
      connectionName: options.connectionName,
      username,
      password,
      tls: parsed.protocol === 'rediss:' ? {} : undefined,
      maxRetriesPerRequest: 1,
      disconnectTimeout: options.disconnectTimeoutMs ?? 2000,
      connectTimeout: noReply,
      commandTimeout: noReply + (options.blockMs ?? 0),
      socketTimeout: noReply + (options.blockMs ?? 0),
      autoResendUnfulfilledCommands: false,
    },
  });
  cluster.on('error', options.onError ?? (() => undefined));
  cluster.on('node error', options.onNodeError ?? (() => undefined));
  return cluster as unknown as Redis;
}

/** `host:port` of a cluster seed node (REDIS_CLUSTER_NODES is checked by @mesh/config before it gets here). */
function parseNode(node: string): { host: string; port: number } {
  const at = node.lastIndexOf(':');
  return { host: node.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(node.slice(at + 1)) };
}

/** Whether `client` is a Redis Cluster client (createRedisClient with clusterNodes). */
export function isClusterClient(client: Redis): boolean {
  return (client as unknown as { isCluster?: boolean }).isCluster === true;
}

/**
 * The connections to each master of a cluster client, or the client itself for one Redis: for what must be
 * asked of every node (CONFIG GET), which a cluster client would send to one node only.
 */
export function mastersOf(client: Redis): Redis[] {
  return isClusterClient(client) ? (client as unknown as Cluster).nodes('master') : [client];
}

/** A pipeline's commands and their replies, as ioredis's exec() gives them. */
type PipelineReplies = Array<[Error | null, unknown]> | null;

/**
 * A pipeline whose commands may touch keys in different hash slots (not atomic, like every pipeline).
 * Against one Redis it is a plain pipeline. Against a cluster, where one pipeline must stay within one
 * node, the commands are grouped by the slot of their key (the first argument) and each group goes as a
 * pipeline of its own, all at once: commands on one key keep their order, a group that meets a failover's
 * MOVED is sent again whole, and exec() answers in the order given. Groups keep no order between them.
 */
export function spreadPipeline(client: Redis): ChainableCommander {
  if (!isClusterClient(client)) return client.pipeline();
  const queued: Array<{ name: string; args: unknown[] }> = [];
  const methods = client as unknown as Record<string, unknown>;
  const exec = async (): Promise<PipelineReplies> => {
    const bySlot = new Map<number, number[]>();
    queued.forEach(({ args }, i) => {
      const slot = keySlot(String(firstArg(args)));
      const group = bySlot.get(slot);
      if (group) group.push(i);
      else bySlot.set(slot, [i]);
    });
    const replies: Array<[Error | null, unknown]> = new Array(queued.length);
    await Promise.all(
      [...bySlot.values()].map(async (indexes) => {
        const pipeline = client.pipeline() as unknown as Record<string, (...args: unknown[]) => unknown> & {
          exec(): Promise<PipelineReplies>;
        };
        for (const i of indexes) {
          const { name, args } = queued[i] as { name: string; args: unknown[] };
          (pipeline[name] as (...a: unknown[]) => unknown)(...args);
        }
        let results: PipelineReplies;
        try {
          results = await pipeline.exec();
        } catch (err) {
          results = indexes.map(() => [toError(err), undefined]);
        }
        indexes.forEach((index, j) => {
          replies[index] = results?.[j] ?? [new Error('no reply in the pipeline'), undefined];
        });
      }),
    );
    return replies;
  };
  const recorder: ChainableCommander = new Proxy({} as ChainableCommander, {
    get(_target, name) {
      if (name === 'exec') return exec;
      if (name === 'length') return queued.length;
      if (typeof name !== 'string' || typeof methods[name] !== 'function') return undefined;
      return (...args: unknown[]) => {
        queued.push({ name, args });
        return recorder;
      };
    },
  });
  return recorder;
}

/** A command's first argument, its key (a script command of Mesh's takes its KEYS then ARGV as one array). */
function firstArg(args: readonly unknown[]): unknown {
  const [first] = args;
  return Array.isArray(first) ? first[0] : first;
}

function toError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}

interface Unfulfilled {
  prevCommandQueue?: { shift(): { command: { reject(err: Error): void } } | undefined } | null;
}

/**
 * Fails the commands that were in flight when the connection dropped. ioredis keeps them to send again once
 * reconnected, or (with autoResendUnfulfilledCommands off) drops them without settling their promises.
 */
function failUnfulfilled(client: Redis): void {
  const queue = (client as unknown as Unfulfilled).prevCommandQueue;
  if (!queue) return;
  for (let item = queue.shift(); item; item = queue.shift()) item.command.reject(new Error('Connection is closed.'));
}

/** Resolves true when Redis answers PING within `timeoutMs` (a cluster: says `cluster_state:ok`, every slot served). */
export async function pingRedis(client: Redis, timeoutMs: number): Promise<boolean> {
  return client.status === 'ready' && within(timeoutMs, answers(client));
}

/**
 * Whether Redis answers: PONG to PING, or for a cluster, which answers PING from any node even while some of
 * its slots are not served, `cluster_state:ok` to CLUSTER INFO.
 */
async function answers(client: Redis): Promise<boolean> {
  if (isClusterClient(client)) return /cluster_state:ok/.test(String(await client.call('CLUSTER', 'INFO')));
  return (await client.ping()) === 'PONG';
}

/** What `work` resolves to, or false when it rejects or takes longer than `timeoutMs`. */
async function within(timeoutMs: number, work: Promise<boolean>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
  try {
    return await Promise.race([work.catch(() => false), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** True for the error of a connection dropped because Redis did not answer within its no-reply timeout. */
export function isNoReplyError(err: unknown): boolean {
  return err instanceof Error && NO_REPLY_MESSAGES.some((m) => err.message.startsWith(m));
}

/** True for the reply error Redis gives when a stream or its consumer group is gone. */
export function isNoGroupError(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith('NOGROUP');
}

/** Resolves once `client` is ready, or after `timeoutMs` (whichever is first); never rejects. */
export function whenReady(client: Redis, timeoutMs: number): Promise<boolean> {
  if (client.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      client.off('ready', onReady);
      resolve(ok);
    };
    const onReady = (): void => done(true);
    const timer = setTimeout(() => done(false), timeoutMs);
    client.on('ready', onReady);
  });
}

/**
 * Whether a Redis (or a Redis Cluster, with every slot served) answers at `target` within `timeoutMs`: one
 * connection, no retries, closed again. False for a refused connection and for one that Redis accepts but
 * never answers (where a plain connect() waits forever).
 */
export async function probeRedis(target: string | RedisTarget, timeoutMs: number): Promise<boolean> {
  const { url, clusterNodes } = typeof target === 'string' ? { url: target, clusterNodes: undefined } : target;
  const client =
    clusterNodes && clusterNodes.length > 0
      ? createClusterClient(url, clusterNodes, {
          connectionName: 'probe',
          lazyConnect: true,
          noReplyTimeoutMs: timeoutMs,
          disconnectTimeoutMs: 10,
        })
      : new Redis(url, {
          protocol: 2,
          lazyConnect: true,
          maxRetriesPerRequest: 0,
          retryStrategy: () => null,
          connectTimeout: timeoutMs,
          commandTimeout: timeoutMs,
          socketTimeout: timeoutMs,
          disconnectTimeout: 10,
        });
  client.on('error', () => undefined);
  try {
    return await within(
      timeoutMs,
      client.connect().then(() => answers(client)),
    );
  } finally {
    client.disconnect();
  }
}
