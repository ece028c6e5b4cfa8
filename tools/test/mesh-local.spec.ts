import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Redis from 'ioredis';
import { TEST_DEADLINE_MS } from '@mesh/testing';

// Built from tools/mesh-local.ts by `npm run build:launcher` (the tools test target runs it first).
const LAUNCHER = join(__dirname, '..', '..', 'dist', 'tools', 'mesh-local.js');

beforeAll(() => {
  if (!existsSync(LAUNCHER)) throw new Error(`${LAUNCHER} is missing: run "npm run build:launcher" first`);
});

function launch(env: Record<string, string>): {
  child: ChildProcess;
  out: () => string;
  exited: Promise<number | null>;
} {
  let out = '';
  const child = spawn(process.execPath, [LAUNCHER], {
    env: { PATH: process.env['PATH'] ?? '', MESH_LOCAL_SKIP_BUILD: '1', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (c) => (out += String(c)));
  child.stderr?.on('data', (c) => (out += String(c)));
  return { child, out: () => out, exited: new Promise((r) => child.once('exit', (code) => r(code))) };
}

async function waitFor(read: () => string, text: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!read().includes(text)) {
    if (Date.now() > deadline) throw new Error(`"${text}" not printed within ${timeoutMs} ms; output:\n${read()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function answers(url: string): Promise<boolean> {
  const c = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 500,
    // After a refused connection, ioredis holds a socket timer this long on disconnect.
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

describe('local mesh launcher', () => {
  it('when no Redis answers, it starts a private one, brings the mesh up, runs the demo on the pinned domain, and Ctrl-C stops it all', async () => {
    const mesh = launch({ MESH_LOCAL_REDIS_CANDIDATE: 'redis://127.0.0.1:1', MESH_LOCAL_PORT_OFFSET: '21000' });
    try {
      await waitFor(mesh.out, 'Ctrl-C stops everything.', TEST_DEADLINE_MS * 2);
      const out = mesh.out();
      expect(out).toMatch(/using a private redis-server on port (\d+)/);
      expect(out).toContain('demo run succeeded (tenant acme → domain gpu, tasks on local-gpu-runner)');
      expect(out).toContain('http://127.0.0.1:30097/workflows/demo/runs/');
      expect(out).toContain('http://127.0.0.1:30098/metrics');
      const port = /private redis-server on port (\d+)/.exec(out)?.[1] as string;
      expect(await answers(`redis://127.0.0.1:${port}`)).toBe(true);
      mesh.child.kill('SIGINT');
      expect(await mesh.exited).toBe(0);
      expect(mesh.out()).toContain('[mesh] stopped');
      expect(await answers(`redis://127.0.0.1:${port}`)).toBe(false);
      for (const p of [30097, 30098, 29083, 29084])
        await expect(fetch(`http://127.0.0.1:${p}/healthz`)).rejects.toThrow();
    } finally {
      mesh.child.kill('SIGKILL');
    }
  });

  it('when there is no Redis and no redis-server, it stops with one line saying how to get Redis', async () => {
    const mesh = launch({
      MESH_LOCAL_REDIS_CANDIDATE: 'redis://127.0.0.1:1',
      MESH_LOCAL_REDIS_SERVER: 'no-such-redis-server',
    });
    expect(await mesh.exited).toBe(1);
    expect(mesh.out()).toContain(
      '[mesh] cannot start: no Redis found: set REDIS_URL, start one on 127.0.0.1:6379, or install redis-server',
    );
  });

  it('when REDIS_URL points nowhere, it says so and stops', async () => {
    const mesh = launch({ REDIS_URL: 'redis://127.0.0.1:1' });
    expect(await mesh.exited).toBe(1);
    expect(mesh.out()).toContain('[mesh] cannot start: REDIS_URL is set but no Redis answers there');
  });
});
