import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import Redis from 'ioredis';
import { eventually, startServiceProcess, type ServiceProcess } from '@mesh/testing';

/** A private, persistent (AOF) Redis this test may stop and start again on the same port. */
class PrivateRedis {
  private child: ChildProcess | undefined;
  readonly dir = mkdtempSync(`${tmpdir()}/mesh-redis-`);
  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--appendonly', 'yes', '--save', ''],
      { stdio: 'ignore' },
    );
    await eventually(async () => {
      // A short disconnect timeout: after a refused connection ioredis holds a socket timer that long.
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

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    await new Promise((resolve) => {
      child.once('exit', resolve);
      child.kill('SIGTERM');
    });
  }
}

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });

let redis: PrivateRedis;
const procs: ServiceProcess[] = [];

beforeAll(async () => {
  redis = new PrivateRedis(await freePort());
  await redis.start();
});
afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop()));
  await redis.stop();
});

describe('a Redis restart', () => {
  it('when Redis restarts under a running mesh, every service reconnects by itself and new runs succeed', async () => {
    const env = { REDIS_URL: redis.url };
    procs.push(
      await startServiceProcess('supervisor', {
        ...env,
        SUPERVISOR_METRICS_LISTEN: '127.0.0.1:0',
        SUPERVISOR_ID: 'sup',
        SUPERVISOR_BLOCK_MS: '200',
        SUPERVISOR_RUNNER_REFRESH_MS: '50',
      }),
    );
    procs.push(
      await startServiceProcess('env-runner', {
        ...env,
        RUNNER_LISTEN: '127.0.0.1:0',
        RUNNER_ID: 'runner',
        RUNNER_BLOCK_MS: '200',
        RUNNER_HEARTBEAT_MS: '200',
        RUNNER_HARDWARE_INTERVAL_MS: '0',
      }),
    );
    const orchestrator = await startServiceProcess('orchestrator', {
      ...env,
      ORCHESTRATOR_LISTEN: '127.0.0.1:0',
      ORCHESTRATOR_ID: 'orch',
    });
    procs.push(orchestrator);
    const api = `http://127.0.0.1:${orchestrator.port}`;
    const submit = async (): Promise<string> => {
      const res = await fetch(`${api}/workflow`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          workflow: 'wf',
          tenant: 't',
          tasks: [
            { id: 'a', kind: 'echo' },
            { id: 'b', kind: 'echo', dependsOn: ['a'] },
          ],
        }),
      });
      expect(res.status).toBe(202);
      return ((await res.json()) as { links: { run: string } }).links.run;
    };
    const succeeded = (link: string) =>
      eventually(
        async () =>
          ((await (await fetch(`${api}${link}`)).json()) as { status: string }).status === 'succeeded' || undefined,
      );

    await eventually(async () => ((await fetch(`${api}/readyz`)).status === 200 ? true : undefined));
    await succeeded(await submit());

    await redis.stop();
    await eventually(async () => ((await fetch(`${api}/readyz`)).status === 503 ? true : undefined));
    const down = await fetch(`${api}/workflow`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ workflow: 'wf', tenant: 't', tasks: [{ id: 'a', kind: 'echo' }] }),
    });
    expect(down.status).toBe(503);

    await redis.start();
    await eventually(async () => ((await fetch(`${api}/readyz`)).status === 200 ? true : undefined));
    await succeeded(await submit());
    for (const p of procs) expect(p.child.exitCode).toBeNull();
  });
});
