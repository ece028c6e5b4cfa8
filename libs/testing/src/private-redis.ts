import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import Redis from 'ioredis';
import { eventually } from './redis-context';

/** A free TCP port on 127.0.0.1 (closed again at once). */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Whether a Redis answers PING at `url` now (one try, no retries). */
export async function answers(url: string): Promise<boolean> {
  // A short disconnect timeout: after a refused connection ioredis holds a socket timer that long.
  const c = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    disconnectTimeout: 10,
  });
  c.on('error', () => undefined);
  try {
    await c.connect();
    return (await c.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    c.disconnect();
  }
}

/**
 * A redis-server of a test's own (never the shared one) on a free port, with the given extra arguments
 * (`--appendonly yes`, `--maxmemory-policy …`), which the test may stop and start again on the same port.
 * Its data directory (AOF files) survives a stop and is removed by remove().
 */
export class PrivateRedis {
  private child: ChildProcess | undefined;
  private readonly dir = mkdtempSync(`${tmpdir()}/mesh-redis-`);

  private constructor(
    readonly port: number,
    private readonly args: readonly string[],
  ) {}

  /** Starts one; if it does not become ready, it is killed and its data directory removed before this rejects. */
  static async start(args: readonly string[] = []): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort(), args);
    try {
      await redis.start();
    } catch (err) {
      await redis.remove();
      throw err;
    }
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts the server (again) on its port and resolves once it answers. */
  async start(): Promise<void> {
    this.child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', '', ...this.args],
      { stdio: 'ignore' },
    );
    // A failed spawn is seen by the readiness wait below; unhandled, its error event would crash the test.
    this.child.on('error', () => undefined);
    await eventually(async () => ((await answers(this.url)) ? true : undefined));
  }

  /** Stops the server: SIGKILL (no shutdown save, no goodbye to clients) unless told otherwise. */
  async stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    // No pid: it never started (spawn failed), so there is nothing to wait for.
    if (!child || child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise((resolve) => {
      child.once('exit', resolve);
      child.kill(signal);
    });
  }

  /** Stops the server and deletes its data directory. */
  async remove(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
