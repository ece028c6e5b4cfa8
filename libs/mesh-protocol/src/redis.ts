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
}

/**
 * A Redis client for `url` (`redis://` or `rediss://`, with optional user and password). Speaks
 * RESP2 so that replies have one shape on every server version.
 */
export function createRedisClient(url: string, options: RedisClientOptions): Redis {
  const maxDelay = options.maxReconnectDelayMs ?? 2000;
  const client = new Redis(url, {
    protocol: 2,
    connectionName: options.connectionName,
    enableOfflineQueue: options.enableOfflineQueue ?? false,
    maxRetriesPerRequest: 1,
    lazyConnect: options.lazyConnect ?? false,
    disconnectTimeout: options.disconnectTimeoutMs ?? 2000,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 10), maxDelay),
  });
  client.on('error', options.onError ?? (() => undefined));
  return client;
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
