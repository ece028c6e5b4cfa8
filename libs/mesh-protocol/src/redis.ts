import Redis from 'ioredis';

export type { Redis };

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
 * A Redis client for `url` (`redis://` or `rediss://`, with optional user and password). Speaks
 * RESP2 so that replies have one shape on every server version.
 */
export function createRedisClient(url: string, options: RedisClientOptions): Redis {
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

/** Resolves true when Redis answers PING within `timeoutMs`. */
export async function pingRedis(client: Redis, timeoutMs: number): Promise<boolean> {
  if (client.status !== 'ready') return false;
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    return await Promise.race([client.ping().then((r) => r === 'PONG'), timeout]);
  } catch {
    return false;
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
 * Whether a Redis answers PING at `url` within `timeoutMs`: one connection, no retries, closed again. False for
 * a refused connection and for one that Redis accepts but never answers (where a plain connect() waits forever).
 */
export async function probeRedis(url: string, timeoutMs: number): Promise<boolean> {
  const client = new Redis(url, {
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
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
  try {
    const answered = (async () => {
      await client.connect();
      return (await client.ping()) === 'PONG';
    })().catch(() => false);
    return await Promise.race([answered, late]);
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}
