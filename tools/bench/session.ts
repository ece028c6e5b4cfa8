import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { Progress } from './progress';
import { deleteKeys } from './redis-host';

/**
 * One benchmark run's private key prefix, its Redis connection and the stops of everything it
 * started. `close()` stops those newest first, then deletes every key under the prefix (SCAN +
 * UNLINK, never FLUSHDB); it runs at the end, when a phase fails, and on Ctrl-C.
 */
export class BenchSession {
  readonly progress = new Progress();
  /** `bench:<random>`: every key of this run lives under `<prefix>:`. */
  readonly prefix = `bench:${randomUUID().slice(0, 8)}`;
  readonly redis: Redis;
  private readonly cleanups = new Set<() => Promise<unknown>>();
  /** Set once the clean-up has stopped everything: whatever registers later is stopped at once. */
  private closed = false;
  private closing: Promise<void> | undefined;

  constructor(readonly redisUrl: string) {
    this.redis = new Redis(redisUrl, { protocol: 2, maxRetriesPerRequest: 2 });
    this.redis.on('error', () => undefined);
  }

  /** Says what is happening (stderr), below the progress line. */
  readonly say = (line: string): void => {
    this.progress.end();
    process.stderr.write(`[bench] ${line}\n`);
  };

  /** Registers a stop to run at the end or on failure / Ctrl-C; returns a function that unregisters it. */
  readonly onCleanup = (stop: () => Promise<unknown>): (() => void) => {
    if (this.closed) {
      void stop(); // the session is over: stop at once, nobody waits for it
      return () => undefined;
    }
    this.cleanups.add(stop);
    return () => this.cleanups.delete(stop);
  };

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.progress.end();
      // A system may still register a process while earlier ones stop: take the newest until none is left.
      for (let stop = [...this.cleanups].pop(); stop; stop = [...this.cleanups].pop()) {
        this.cleanups.delete(stop);
        await stop().catch((err: Error) => this.say(`stopping: ${err.message}`));
      }
      this.closed = true;
      try {
        const deleted = await deleteKeys(this.redis, this.prefix);
        this.say(`deleted ${deleted} keys under ${this.prefix}:`);
      } catch (err) {
        this.say(`could not delete the keys under ${this.prefix}: (${(err as Error).message}); delete them by hand`);
      }
      this.redis.disconnect();
    })();
    return this.closing;
  }
}

/**
 * Runs `work` in a fresh session and resolves with the exit code (0, or 1 when it failed); the
 * session is closed either way, and SIGINT, SIGTERM or SIGHUP close it and exit 130.
 */
export async function inSession(redisUrl: string, work: (session: BenchSession) => Promise<void>): Promise<number> {
  const session = new BenchSession(redisUrl);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      session.say(`${signal}: stopping everything`);
      void session.close().finally(() => process.exit(130));
    });
  }
  try {
    await work(session);
    return 0;
  } catch (err) {
    session.say(`failed: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    await session.close();
  }
}
