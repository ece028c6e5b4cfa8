import { FAST_SUPERVISOR } from '@mesh/mesh-harness';
import { eventually, startServiceProcess, type ServiceProcess } from '@mesh/testing';
import { PrivateRedis, readyz, recordsBetween } from './redis-support';

// A Redis restart under a running mesh (issue 11): the mesh rides it out without restarting any service. With no
// persistence Redis comes back empty; with AOF (appendfsync always) it comes back with everything it accepted.

/** Short timings of this test: readers block briefly, a silent connection is dropped after 1 s. */
const REDIS_TIMEOUT_MS = '1000';

let redis: PrivateRedis | undefined;
const procs: ServiceProcess[] = [];

afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.stop('SIGTERM')));
  await redis?.remove();
  redis = undefined;
});

async function startMesh(url: string): Promise<{ api: string; all: ServiceProcess[] }> {
  const common = { REDIS_URL: url, REDIS_TIMEOUT_MS };
  const supervisor = await startServiceProcess('supervisor', {
    ...common,
    ...FAST_SUPERVISOR,
    SUPERVISOR_METRICS_LISTEN: '127.0.0.1:0',
    SUPERVISOR_ID: 'sup',
  });
  procs.push(supervisor);
  const runner = await startServiceProcess('env-runner', {
    ...common,
    RUNNER_LISTEN: '127.0.0.1:0',
    RUNNER_ID: 'runner',
    RUNNER_BLOCK_MS: '200',
    RUNNER_HEARTBEAT_MS: '200',
    RUNNER_HARDWARE_INTERVAL_MS: '0',
  });
  procs.push(runner);
  const orchestrator = await startServiceProcess('orchestrator', {
    ...common,
    ORCHESTRATOR_LISTEN: '127.0.0.1:0',
    ORCHESTRATOR_ID: 'orch',
    ORCHESTRATOR_RUNNER_REFRESH_MS: '50',
  });
  procs.push(orchestrator);
  const all = [supervisor, runner, orchestrator];
  await eventually(async () => ((await Promise.all(all.map(readyz))).every((s) => s === 200) ? true : undefined));
  return { api: `http://127.0.0.1:${orchestrator.port}`, all };
}

interface Accepted {
  readonly status: number;
  readonly link?: string;
}

async function submit(api: string, tasks: unknown[]): Promise<Accepted> {
  const res = await fetch(`${api}/workflow`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ workflow: 'restart', tenant: 't', tasks }),
  });
  const body = (await res.json()) as { links?: { run: string } };
  return { status: res.status, link: body.links?.run };
}

async function runStatus(api: string, link: string): Promise<{ http: number; status?: string }> {
  const res = await fetch(`${api}${link}`);
  const body = (await res.json()) as { status?: string };
  return { http: res.status, status: body.status };
}

const ended = (api: string, link: string): Promise<string> =>
  eventually(async () => {
    const { status } = await runStatus(api, link);
    return status === 'succeeded' || status === 'failed' || status === 'cancelled' ? status : undefined;
  });

const CHAIN = [
  { id: 'a', kind: 'sleep', payload: { ms: 100 } },
  { id: 'b', kind: 'echo', payload: { n: 1 }, dependsOn: ['a'] },
  { id: 'c', kind: 'sleep', payload: { ms: 100 }, dependsOn: ['b'] },
];

describe('a Redis restart', () => {
  it('when Redis restarts without persistence, every service stays up, /readyz is 503 then 200, the outage is logged in a few lines, runs caught in the gap end failed (410, with the reason) and new runs succeed', async () => {
    redis = await PrivateRedis.start(['--appendonly', 'no']);
    const { api, all } = await startMesh(redis.url);
    const first = await submit(api, CHAIN);
    expect(first.status).toBe(202);
    expect(await ended(api, first.link as string)).toBe('succeeded');

    // A run in flight when Redis goes: its first task is running on the runner.
    const gap = await submit(api, [
      { id: 'slow', kind: 'sleep', payload: { ms: 1500 } },
      ...CHAIN.slice(1).map((t) => ({ ...t, dependsOn: ['slow'] })),
    ]);
    expect(gap.status).toBe(202);
    await eventually(async () => ((await runStatus(api, gap.link as string)).status === 'running' ? true : undefined));

    const downAt = Date.now();
    await redis.stop();
    await eventually(async () => ((await Promise.all(all.map(readyz))).every((s) => s === 503) ? true : undefined));
    expect((await submit(api, CHAIN)).status).toBe(503);
    await redis.start();
    await eventually(async () => ((await Promise.all(all.map(readyz))).every((s) => s === 200) ? true : undefined));
    const upAt = Date.now();

    // Redis came back empty: the run state is gone, and the API says the run failed with it, and why.
    const lost = await fetch(`${api}${gap.link as string}`);
    const body = (await lost.json()) as { error?: { code?: string; message?: string } };
    expect([lost.status, body.error?.code]).toEqual([410, 'MESH_RUN_LOST']);
    expect(body.error?.message).toMatch(
      /failed: its state was lost with Redis's data \(the current data set began at /,
    );
    // The consumer groups come back by themselves: a new run goes all the way.
    const after = await submit(api, CHAIN);
    expect(after.status).toBe(202);
    expect(await ended(api, after.link as string)).toBe('succeeded');
    for (const p of all) expect(p.child.exitCode).toBeNull();

    // Bounded log rate: each distinct complaint at most once per 10 s repeat interval (plus its first line), no
    // stack for a connection error, and no hot loop (the report: about 6 lines a second per service).
    const outageMs = upAt - downAt;
    for (const p of all) {
      const lines = recordsBetween(p, downAt, upAt + 1000).filter(
        (r) => r['level'] === 'warn' || r['level'] === 'error',
      );
      const perKey = new Map<string, number>();
      for (const r of lines) {
        const key = `${String(r['component'])}|${String(r['msg'])}|${String((r['err'] as { message?: string } | undefined)?.message)}`;
        perKey.set(key, (perKey.get(key) ?? 0) + 1);
      }
      const allowed = 2 + Math.floor((outageMs + 1000) / 10_000);
      for (const [key, count] of perKey) {
        if (count > allowed) throw new Error(`${key} logged ${count} times in ${outageMs} ms`);
      }
      for (const r of lines) {
        const err = r['err'] as { message?: string; stack?: string } | undefined;
        if (err && /ECONNREFUSED|Connection is closed|Stream isn't writeable/.test(String(err.message)))
          expect(err.stack).toBeUndefined();
      }
    }
  });

  it('when Redis restarts with AOF (appendfsync always) while runs are in flight, every run accepted with 202 ends succeeded', async () => {
    redis = await PrivateRedis.start(['--appendonly', 'yes', '--appendfsync', 'always']);
    const { api, all } = await startMesh(redis.url);
    const accepted: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await submit(api, CHAIN);
      expect(r.status).toBe(202);
      accepted.push(r.link as string);
    }
    // Some of them are mid-run when Redis is killed.
    await eventually(async () =>
      (await Promise.all(accepted.map((l) => runStatus(api, l)))).some((s) => s.status === 'running')
        ? true
        : undefined,
    );
    await redis.stop();
    await eventually(async () => ((await readyz(all[2] as ServiceProcess)) === 503 ? true : undefined));
    await redis.start();
    await eventually(async () => ((await Promise.all(all.map(readyz))).every((s) => s === 200) ? true : undefined));
    for (let i = 0; i < 3; i++) {
      const r = await submit(api, CHAIN);
      expect(r.status).toBe(202);
      accepted.push(r.link as string);
    }
    const outcomes = await Promise.all(accepted.map((l) => ended(api, l)));
    expect(outcomes).toEqual(accepted.map(() => 'succeeded'));
    for (const p of all) expect(p.child.exitCode).toBeNull();
  });
});
