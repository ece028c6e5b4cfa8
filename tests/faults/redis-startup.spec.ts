import { createServer, type Server, type Socket } from 'node:net';
import { eventually, runServiceToExit, startServiceProcess, type ServiceProcess } from '@mesh/testing';
import { PrivateRedis, readyz } from './redis-support';

// Start-up against a Redis that is wrong for Mesh (issue 11): each service says so in one clear line.

const APPS = [
  { app: 'supervisor', env: { SUPERVISOR_METRICS_LISTEN: '127.0.0.1:0', SUPERVISOR_ID: 'sup' } },
  {
    app: 'env-runner',
    env: { RUNNER_LISTEN: '127.0.0.1:0', RUNNER_ID: 'runner', RUNNER_HARDWARE_INTERVAL_MS: '0' },
  },
  { app: 'orchestrator', env: { ORCHESTRATOR_LISTEN: '127.0.0.1:0', ORCHESTRATOR_ID: 'orch' } },
] as const;

const procs: ServiceProcess[] = [];
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.stop('SIGKILL')));
  for (const c of cleanups.splice(0)) await c();
});

describe('start-up against an unsuitable Redis', () => {
  it.each(APPS)(
    'when REDIS_URL names database 99, $app refuses to start with one line naming REDIS_URL',
    async ({ app, env }) => {
      const result = await runServiceToExit(app, { ...env, REDIS_URL: 'redis://:canary-pw-db@127.0.0.1:6379/99' });
      expect(result.code).toBe(2);
      const lines = result.stderr.trim().split('\n');
      expect(lines).toEqual([`${app}: invalid configuration: REDIS_URL: database 99 is out of range (0-15)`]);
      expect(result.stdout + result.stderr).not.toContain('canary-pw-db');
    },
  );

  it('when Redis accepts connections but never answers, every service starts, is not ready, and says so once naming REDIS_TIMEOUT_MS', async () => {
    const sockets = new Set<Socket>();
    const silent: Server = createServer((s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          for (const s of sockets) s.destroy();
          silent.close(() => resolve());
        }),
    );
    const { port } = silent.address() as { port: number };
    for (const { app, env } of APPS)
      procs.push(
        await startServiceProcess(app, { ...env, REDIS_URL: `redis://127.0.0.1:${port}`, REDIS_TIMEOUT_MS: '300' }),
      );
    const said = (p: ServiceProcess): Array<Record<string, unknown>> =>
      p.records.filter((r) => r['msg'] === 'redis unavailable, reconnecting' && r['setting'] === 'REDIS_TIMEOUT_MS');
    await eventually(() => (procs.every((p) => said(p).length > 0) ? true : undefined));
    for (const p of procs) {
      expect(await readyz(p)).toBe(503);
      expect((await fetch(`http://127.0.0.1:${p.port}/healthz`)).status).toBe(200);
      expect(said(p)).toHaveLength(1);
      expect(p.child.exitCode).toBeNull();
    }
  });

  it('when Redis may evict keys (maxmemory-policy allkeys-lru), every service warns at start-up naming the policy and the risk', async () => {
    const redis = await PrivateRedis.start(['--maxmemory-policy', 'allkeys-lru', '--appendonly', 'no']);
    cleanups.push(() => redis.remove());
    for (const { app, env } of APPS) procs.push(await startServiceProcess(app, { ...env, REDIS_URL: redis.url }));
    for (const p of procs) {
      const warning = await eventually(() => p.records.find((r) => r['maxmemoryPolicy'] === 'allkeys-lru'));
      expect(warning).toMatchObject({ level: 'warn' });
      expect(String(warning['msg'])).toMatch(/evicted stream entries and run keys are lost work/);
      // And that it keeps nothing across a restart (no AOF, no snapshots): a line of its own, maybe still on its way.
      const noPersistence = await eventually(() => p.records.find((r) => r['appendonly'] === 'no'));
      expect(noPersistence).toMatchObject({ level: 'warn', save: '' });
    }
  });
});
