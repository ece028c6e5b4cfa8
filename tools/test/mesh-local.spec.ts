import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import Redis from 'ioredis';
import { probeRedis } from '@mesh/mesh-protocol';
import {
  createRedisTestContext,
  freePort,
  runServiceToExit,
  TEST_DEADLINE_MS,
  type RedisTestContext,
} from '@mesh/testing';

// Built from tools/mesh-local.ts by `npm run build:launcher` (the tools test target runs it first).
const LAUNCHER = join(__dirname, '..', '..', 'dist', 'tools', 'mesh-local.js');
const DEADLINE_MS = TEST_DEADLINE_MS * 2;
/** The demo run's line once it has ended, and a summary line that counts it. */
const DEMO_SUCCEEDED = /\[mesh\] demo run succeeded in [\d.]+ s: .*geocode succeeded on attempt 2/;
const SUMMARY_WITH_DEMO =
  /\[mesh\] runs: 0 queued · 0 running · 1 succeeded · 0 failed · 0 cancelled \| tasks: [\d.]+\/s, 0 in flight, 8 done/;

beforeAll(() => {
  if (!existsSync(LAUNCHER)) throw new Error(`${LAUNCHER} is missing: run "npm run build:launcher" first`);
});

interface Launched {
  child: ChildProcess;
  out: () => string;
  /** The exit code, or the signal that ended it (so a failure says which). */
  exited: Promise<number | NodeJS.Signals | null>;
}

const running: Launched[] = [];

/** Starts the launcher as a new user would (no LOG_LEVEL), with the test hooks and `env` on top. */
function launch(env: Record<string, string>): Launched {
  let out = '';
  const child = spawn(process.execPath, [LAUNCHER], {
    env: { PATH: process.env['PATH'] ?? '', MESH_LOCAL_SKIP_BUILD: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (c) => (out += String(c)));
  child.stderr?.on('data', (c) => (out += String(c)));
  const launched = {
    child,
    out: () => out,
    exited: new Promise<number | NodeJS.Signals | null>((r) => child.once('exit', (code, signal) => r(code ?? signal))),
  };
  running.push(launched);
  return launched;
}

afterEach(async () => {
  // A failed test may leave a launcher running: stop it and its services (SIGINT), then make sure.
  for (const mesh of running.splice(0)) {
    if (mesh.child.exitCode !== null || mesh.child.signalCode !== null) continue;
    mesh.child.kill('SIGINT');
    const stopped = await Promise.race([mesh.exited.then(() => true), wait(DEADLINE_MS).then(() => false)]);
    if (!stopped) mesh.child.kill('SIGKILL');
  }
});

function wait(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}

async function waitFor(read: () => string, pattern: string | RegExp, timeoutMs = DEADLINE_MS): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const out = read();
    const match = typeof pattern === 'string' ? out.includes(pattern) : pattern.test(out);
    if (match) return out;
    if (Date.now() > deadline)
      throw new Error(`${String(pattern)} not printed within ${timeoutMs} ms; output:\n${out}`);
    await wait(50);
  }
}

/** Ctrl-C, then: the launcher exited 0 and nothing answers on the given ports any more. */
async function ctrlC(mesh: Launched, ports: number[]): Promise<void> {
  mesh.child.kill('SIGINT');
  expect(await mesh.exited).toBe(0);
  expect(mesh.out()).toContain('[mesh] stopped');
  for (const p of ports) await expect(fetch(`http://127.0.0.1:${p}/healthz`)).rejects.toThrow();
}

/** The four ports of a launch with MESH_LOCAL_PORT_OFFSET `offset`: orchestrator, supervisor, two runners. */
const portsOf = (offset: number): number[] => [9097, 9098, 8083, 8084].map((p) => p + offset);

/** Whether a Redis answers PING at `url` now (the launcher's own probe). */
const answers = (url: string): Promise<boolean> => probeRedis(url, 500);

async function keysUnder(redis: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  return keys;
}

describe('local mesh launcher', () => {
  it('when no Redis answers, it starts a private one, prints the console URL first, keeps the output short with a summary line, and Ctrl-C stops it all', async () => {
    const mesh = launch({ MESH_LOCAL_REDIS_CANDIDATE: 'redis://127.0.0.1:1', MESH_LOCAL_PORT_OFFSET: '21000' });
    const out = await waitFor(mesh.out, SUMMARY_WITH_DEMO);
    expect(out).toMatch(/using a private redis-server on port (\d+)/);
    expect(out).toMatch(DEMO_SUCCEEDED);
    // Per-task routing: once the orchestrator accepts a task's domain, the demo's train task runs on the gpu runner.
    if (!out.includes('does not route single tasks yet')) expect(out).toContain('local-gpu-runner (gpu): train');
    // The console comes before any other URL, and the others follow.
    const urls = out.match(/\w+:\/\/[^\s)]+/g) ?? [];
    expect(urls[0]).toBe('http://127.0.0.1:30097/');
    expect(urls).toContain('http://127.0.0.1:30098/metrics');
    expect(urls.some((u) => u.startsWith('http://127.0.0.1:30097/workflows/demo/runs/'))).toBe(true);
    // Services log at warn by default: no per-service start-up chatter, no line per task.
    expect(out).not.toMatch(/listening|assignment done/);
    const lines = out.split('\n').filter((l) => l !== '');
    expect(lines.length).toBeLessThanOrEqual(20);
    // The same warning from several services is shown once.
    const messages = lines.flatMap((l) => /^\[[\d:.]+\] \w+: \[[\w-]+\] (.*)$/.exec(l)?.slice(1) ?? []);
    expect(new Set(messages).size).toBe(messages.length);
    const port = /private redis-server on port (\d+)/.exec(out)?.[1] as string;
    expect(await answers(`redis://127.0.0.1:${port}`)).toBe(true);
    await ctrlC(mesh, portsOf(21000));
    expect(await answers(`redis://127.0.0.1:${port}`)).toBe(false);
  });

  describe('with the shared Redis', () => {
    let ctx: RedisTestContext;
    beforeEach(() => {
      ctx = createRedisTestContext('mesh-local');
    });
    afterEach(async () => {
      await ctx.cleanup();
    });

    it('when MESH_API_TOKEN and MESH_STREAM_PREFIX are set, the demo is accepted with that token and succeeds, under that prefix only', async () => {
      const token = 'local-admin-token-0123456789';
      const mesh = launch({
        REDIS_URL: ctx.url,
        MESH_STREAM_PREFIX: ctx.prefix,
        MESH_API_TOKEN: token,
        MESH_LOCAL_PORT_OFFSET: '12000',
      });
      const out = await waitFor(mesh.out, DEMO_SUCCEEDED);
      expect(out).toContain(`key prefix ${ctx.prefix}`);
      const record = /(http:\/\/127\.0\.0\.1:21097\/workflows\/demo\/runs\/\S+)/.exec(out)?.[1] as string;
      // The orchestrator got the token: the record needs it.
      expect((await fetch(record)).status).toBe(401);
      const res = await fetch(record, { headers: { authorization: `Bearer ${token}` } });
      expect(((await res.json()) as { status: string }).status).toBe('succeeded');
      const runId = record.slice(record.lastIndexOf('/') + 1);
      const keys = await keysUnder(ctx.redis, ctx.prefix);
      expect(keys).toContain(`${ctx.prefix}:workflows`);
      expect(keys.some((k) => k.startsWith(`${ctx.prefix}:run:{${runId}}:`))).toBe(true);
      await ctrlC(mesh, portsOf(12000));
    });

    it('when only MESH_API_TOKENS is set, the demo is accepted and succeeds, a tenant token reads it, and LOG_LEVEL=info shows info lines', async () => {
      const tenantToken = 'demo-tenant-token-0123456789';
      const mesh = launch({
        REDIS_URL: ctx.url,
        MESH_STREAM_PREFIX: ctx.prefix,
        MESH_API_TOKENS: `${tenantToken}=demo,other-tenant-token-0123=other`,
        LOG_LEVEL: 'info',
        MESH_LOCAL_PORT_OFFSET: '13000',
      });
      const out = await waitFor(mesh.out, DEMO_SUCCEEDED);
      expect(out).toContain('[supervisor] listening');
      const record = /(http:\/\/127\.0\.0\.1:22097\/workflows\/demo\/runs\/\S+)/.exec(out)?.[1] as string;
      expect((await fetch(record)).status).toBe(401);
      const res = await fetch(record, { headers: { authorization: `Bearer ${tenantToken}` } });
      expect(((await res.json()) as { status: string }).status).toBe('succeeded');
      await ctrlC(mesh, portsOf(13000));
    });
  });

  it('when REDIS_PASSWORD is set, the launcher and the services use it (as given, unencoded) and never print it', async () => {
    const password = 'p/w?#%@local-secret';
    const port = await freePort();
    const server = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--requirepass', password],
      {
        stdio: 'ignore',
      },
    );
    server.on('error', () => undefined);
    try {
      const url = `redis://127.0.0.1:${port}`;
      const withPassword = `redis://:${encodeURIComponent(password)}@127.0.0.1:${port}`;
      const deadline = Date.now() + DEADLINE_MS;
      while (!(await answers(withPassword))) {
        if (Date.now() > deadline) throw new Error(`redis-server on ${port} did not answer`);
        await wait(50);
      }
      const mesh = launch({ REDIS_URL: url, REDIS_PASSWORD: password, MESH_LOCAL_PORT_OFFSET: '18000' });
      const out = await waitFor(mesh.out, DEMO_SUCCEEDED);
      expect(out).toContain(`using the Redis at 127.0.0.1:${port} (REDIS_URL)`);
      expect(out).not.toContain('local-secret');
      await ctrlC(mesh, portsOf(18000));
      expect(mesh.out()).not.toContain('local-secret');
    } finally {
      server.kill('SIGKILL');
      await new Promise((r) =>
        server.exitCode !== null || server.signalCode !== null ? r(null) : server.once('exit', r),
      );
    }
  });

  it('when a service refuses a setting (a short MESH_API_TOKEN), its one line is shown and the launcher exits 2, stopping the rest', async () => {
    const mesh = launch({
      MESH_LOCAL_REDIS_CANDIDATE: 'redis://127.0.0.1:1',
      MESH_API_TOKEN: 'too-short',
      MESH_LOCAL_PORT_OFFSET: '19000',
    });
    expect(await mesh.exited).toBe(2);
    expect(mesh.out()).toContain(
      '[orchestrator] orchestrator: invalid configuration: MESH_API_TOKEN: must be at least 16 characters\n',
    );
    expect(mesh.out()).toContain('[mesh] orchestrator exited (2); stopping the mesh');
    expect(mesh.out()).not.toContain('too-short');
    for (const p of portsOf(19000)) await expect(fetch(`http://127.0.0.1:${p}/healthz`)).rejects.toThrow();
  });

  it('when MESH_TENANT_DOMAIN_MAP is invalid, it stops at once with the one line the supervisor gives, and starts nothing', async () => {
    const env = { MESH_TENANT_DOMAIN_MAP: 'acme=gpu,,beta', MESH_LOCAL_PORT_OFFSET: '14000' };
    const supervisor = await runServiceToExit('supervisor', env);
    expect(supervisor.code).toBe(2);
    const mesh = launch(env);
    // With its output, so that a failure shows what it said before it ended.
    expect([await mesh.exited, mesh.out()]).toEqual([2, supervisor.stderr.replace(/^supervisor: /, 'mesh: ')]);
    expect(mesh.out()).toBe(
      'mesh: invalid configuration: MESH_TENANT_DOMAIN_MAP: entry 2 is empty, entry 3 "beta" is not tenant=domain\n',
    );
    for (const p of portsOf(14000)) await expect(fetch(`http://127.0.0.1:${p}/healthz`)).rejects.toThrow();
  });

  it('when a port the mesh needs is taken, it stops before starting anything, with one line naming the setting to change', async () => {
    const taken = createServer();
    await new Promise<void>((resolve, reject) => {
      taken.once('error', reject);
      taken.listen(9098 + 15000, '127.0.0.1', resolve);
    });
    try {
      const mesh = launch({ MESH_LOCAL_PORT_OFFSET: '15000' });
      expect(await mesh.exited).toBe(1);
      expect(mesh.out()).toMatch(
        /^\[mesh\] cannot start: port 24098 is in use \(SUPERVISOR_METRICS_LISTEN\): stop what listens there, or set SUPERVISOR_METRICS_LISTEN=127\.0\.0\.1:<another port>\n/,
      );
    } finally {
      await new Promise((r) => taken.close(r));
    }
  });

  it("when the launcher names the orchestrator's token settings, they are the orchestrator's own", async () => {
    const help = await runServiceToExit('orchestrator', {}, ['--help']);
    expect(help.stdout).toMatch(/^\s+MESH_API_TOKEN\b/m);
    expect(help.stdout).toMatch(/^\s+MESH_API_TOKENS\b/m);
  });

  it('when there is no Redis and no redis-server, it stops with one line saying how to get Redis', async () => {
    const mesh = launch({
      MESH_LOCAL_REDIS_CANDIDATE: 'redis://127.0.0.1:1',
      MESH_LOCAL_REDIS_SERVER: 'no-such-redis-server',
      MESH_LOCAL_PORT_OFFSET: '16000',
    });
    expect(await mesh.exited).toBe(1);
    expect(mesh.out()).toContain(
      '[mesh] cannot start: no Redis found: set REDIS_URL, start one on 127.0.0.1:6379, or install redis-server',
    );
  });

  it('when REDIS_URL points nowhere, it says so and stops', async () => {
    const mesh = launch({ REDIS_URL: 'redis://127.0.0.1:1', MESH_LOCAL_PORT_OFFSET: '17000' });
    expect(await mesh.exited).toBe(1);
    expect(mesh.out()).toContain('[mesh] cannot start: REDIS_URL is set but no Redis answers at redis://127.0.0.1:1');
  });
});
