import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import Redis from 'ioredis';
import { closeClient, eventually, TEST_REDIS_URL, type ServiceProcess } from '@mesh/testing';

/** A free TCP port on 127.0.0.1 (closed again at once). */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/**
 * A redis-server of the test's own (never the shared one) on a fixed free port, which the test kills and
 * starts again there; its data directory (AOF files) survives a kill and is removed by remove().
 */
export class PrivateRedis {
  private child: ChildProcess | undefined;
  private readonly dir = mkdtempSync(`${tmpdir()}/mesh-redis-`);

  private constructor(
    readonly port: number,
    private readonly args: readonly string[],
  ) {}

  static async start(args: readonly string[]): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort(), args);
    await redis.start();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', '', ...this.args],
      { stdio: 'ignore' },
    );
    await eventually(async () => {
      const c = new Redis(this.url, {
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
        disconnectTimeout: 10,
      });
      c.on('error', () => undefined);
      try {
        await c.connect();
        return (await c.ping()) === 'PONG' ? true : undefined;
      } finally {
        c.disconnect();
      }
    });
  }

  /** SIGKILL: no shutdown save, no goodbye to clients. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise((resolve) => {
      child.once('exit', resolve);
      child.kill('SIGKILL');
    });
  }

  async remove(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A Redis ACL user of the test's own on the shared Redis, limited to its key prefix; never the default user. */
export class AclUser {
  readonly name = `mesh-test-${randomBytes(6).toString('hex')}`;
  private readonly admin = new Redis(TEST_REDIS_URL, { protocol: 2, maxRetriesPerRequest: 1 });

  constructor(readonly password: string = randomBytes(16).toString('hex')) {
    this.admin.on('error', () => undefined);
  }

  async create(prefix: string): Promise<void> {
    await this.admin.call(
      'ACL',
      'SETUSER',
      this.name,
      'reset',
      'on',
      `>${this.password}`,
      `~${prefix}:*`,
      '&*',
      '+@all',
    );
  }

  /** Redis refuses the commands to this user, on its open connections too, until allowed again. */
  async refuse(commands: readonly string[]): Promise<void> {
    await this.admin.call('ACL', 'SETUSER', this.name, ...commands.map((c) => `-${c}`));
  }

  async allow(commands: readonly string[]): Promise<void> {
    await this.admin.call('ACL', 'SETUSER', this.name, ...commands.map((c) => `+${c}`));
  }

  async remove(): Promise<void> {
    try {
      await this.admin.call('ACL', 'DELUSER', this.name);
    } finally {
      await closeClient(this.admin);
    }
  }
}

export async function readyz(p: ServiceProcess): Promise<number> {
  return (await fetch(`http://127.0.0.1:${p.port}/readyz`)).status;
}

/** Records of `p` written at or after `since` (epoch ms) and before `until`. */
export function recordsBetween(p: ServiceProcess, since: number, until = Infinity): Array<Record<string, unknown>> {
  return p.records.filter((r) => {
    const t = Date.parse(String(r['time']));
    return t >= since && t < until;
  });
}
