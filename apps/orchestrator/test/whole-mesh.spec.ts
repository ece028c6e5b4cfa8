import { MeshHarness, sample } from '@mesh/mesh-harness';
import { createRedisTestContext, eventually, type RedisTestContext, type ServiceProcess } from '@mesh/testing';

let ctx: RedisTestContext;
let mesh: MeshHarness;
let orchestrator: ServiceProcess;
let supervisor: ServiceProcess;

beforeAll(async () => {
  ctx = createRedisTestContext('whole-mesh');
  mesh = new MeshHarness(ctx);
  supervisor = await mesh.supervisor('sup-1', { MESH_TENANT_DOMAIN_MAP: 'acme=gpu' });
  await mesh.runner('gpu-runner', 'gpu');
  await mesh.runner('cpu-runner', 'default');
  orchestrator = await mesh.orchestrator('orch-1');
});
afterAll(async () => {
  await mesh.stopAll();
  await ctx.cleanup();
});

const api = (path: string, init?: RequestInit) => fetch(`http://127.0.0.1:${orchestrator.port}${path}`, init);
const post = async (body: unknown) => {
  const res = await api('/workflow', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(202);
  return (await res.json()) as { runId: string; links: { run: string } };
};
const finalRecord = (link: string) =>
  eventually(async () => {
    const run = (await (await api(link)).json()) as { status: string };
    return run.status === 'succeeded' || run.status === 'failed' ? (run as Record<string, unknown>) : undefined;
  });

describe('the whole mesh, as built processes', () => {
  it("when a 3-task DAG is submitted over HTTP, the run succeeds and each task names its runner and that runner's hardware", async () => {
    const { links } = await post({
      workflow: 'etl',
      tenant: 'acme',
      tasks: [
        { id: 'extract', kind: 'echo', payload: { table: 'orders' } },
        { id: 'transform', kind: 'sleep', payload: { ms: 20 }, dependsOn: ['extract'] },
        { id: 'load', kind: 'echo', dependsOn: ['extract', 'transform'] },
      ],
    });
    const run = await finalRecord(links.run);
    expect(run).toMatchObject({ status: 'succeeded', workflow: 'etl', tenant: 'acme', domain: 'gpu' });
    // The run's domain's runners when it started, and each runner that executed a task, named once.
    expect(Object.keys(run['hardware'] as object)).toEqual(['gpu-runner']);
    const runners = run['runners'] as Record<string, Record<string, unknown>>;
    expect(Object.keys(runners)).toEqual(['gpu-runner']);
    expect(runners['gpu-runner']).toMatchObject({
      runnerId: 'gpu-runner',
      cpu: { logicalCores: expect.any(Number) },
      gpus: expect.any(Array),
    });
    const tasks = run['tasks'] as Array<Record<string, unknown>>;
    expect(tasks.map((t) => [t['id'], t['status'], t['runnerId'], t['domain'], t['attempts']])).toEqual([
      ['extract', 'succeeded', 'gpu-runner', 'gpu', 1],
      ['transform', 'succeeded', 'gpu-runner', 'gpu', 1],
      ['load', 'succeeded', 'gpu-runner', 'gpu', 1],
    ]);
    for (const t of tasks) expect(t['hardware']).toBeUndefined();
    expect(tasks[0]?.['output']).toEqual({ table: 'orders' });
  });

  it("when a task depends on another, it receives that task's output as inputs, and both outputs are in the record", async () => {
    const { runId, links } = await post({
      workflow: 'flow',
      tenant: 'globex',
      tasks: [
        { id: 'a', kind: 'echo', payload: { x: 1 } },
        { id: 'b', kind: 'echo', payload: { y: 2 }, dependsOn: ['a'] },
      ],
    });
    const run = await finalRecord(links.run);
    expect((run['tasks'] as Array<Record<string, unknown>>).map((t) => [t['id'], t['output']])).toEqual([
      ['a', { x: 1 }],
      ['b', { y: 2 }],
    ]);
    const assignments = (await ctx.redis.xrange(mesh.keys.assignments('default'), '-', '+'))
      .map(([, f]) => JSON.parse(f[3] as string) as { runId: string; taskId: string; inputs?: { a?: { x?: number } } })
      .filter((a) => a.runId === runId);
    expect(assignments.find((a) => a.taskId === 'b')?.inputs?.a?.x).toBe(1);
    expect(assignments.find((a) => a.taskId === 'a')?.inputs).toBeUndefined();
  });

  it('when a task executes, its record shows it running on its runner since its pickup, then its final state', async () => {
    const { links } = await post({
      workflow: 'watch',
      tenant: 'acme',
      tasks: [{ id: 'slow', kind: 'sleep', payload: { ms: 1500 } }],
    });
    const running = await eventually(async () => {
      const run = (await (await api(links.run)).json()) as { tasks: Array<Record<string, unknown>> };
      const task = run.tasks[0];
      return task?.['status'] === 'running' ? task : undefined;
    });
    expect(running).toMatchObject({ id: 'slow', runnerId: 'gpu-runner', attempts: 1 });
    expect(running['startedAt']).toEqual(expect.any(Number));
    expect(running['startedAt'] as number).toBeGreaterThanOrEqual(running['queuedAt'] as number);
    const done = await finalRecord(links.run);
    expect((done['tasks'] as Array<Record<string, unknown>>)[0]).toMatchObject({
      status: 'succeeded',
      runnerId: 'gpu-runner',
      startedAt: running['startedAt'],
      finishedAt: expect.any(Number),
    });
  });

  it('when a task of kind fail runs, the run fails carrying its error', async () => {
    const { links } = await post({
      workflow: 'etl',
      tenant: 'globex',
      tasks: [
        { id: 'a', kind: 'echo' },
        { id: 'b', kind: 'fail', payload: { message: 'quota exceeded' }, dependsOn: ['a'] },
        { id: 'c', kind: 'echo', dependsOn: ['b'] },
      ],
    });
    const run = await finalRecord(links.run);
    expect(run).toMatchObject({ status: 'failed', error: 'task b: quota exceeded', domain: 'default' });
    expect(
      (run['tasks'] as Array<Record<string, unknown>>).map((t) => [t['id'], t['status'], t['error'] ?? null]),
    ).toEqual([
      ['a', 'succeeded', null],
      ['b', 'failed', 'quota exceeded'],
      ['c', 'skipped', 'dependency b failed'],
    ]);
  });

  it('when the supervisor is scraped, it shows the dispatches and workflow events that happened, matching the finished run records', async () => {
    await post({ workflow: 'report', tenant: 'acme', tasks: [{ id: 'only', kind: 'echo' }] });
    const counts = async () => {
      const byOutcome = { success: 0, failure: 0 };
      for (const workflow of ['etl', 'report']) {
        const page = (await (await api(`/workflows/${workflow}/runs?limit=100`)).json()) as {
          runs: Array<{ status: string }>;
        };
        for (const r of page.runs) {
          if (r.status === 'succeeded') byOutcome.success++;
          if (r.status === 'failed') byOutcome.failure++;
        }
      }
      return byOutcome;
    };
    const records = await eventually(async () => {
      const c = await counts();
      return c.success + c.failure === 3 ? c : undefined;
    });
    const text = await mesh.metrics(supervisor);
    const events = (outcome: string) =>
      ['etl', 'report'].reduce(
        (n, w) => n + sample(text, `supervisor_workflow_events_total{workflow="${w}",outcome="${outcome}"}`),
        0,
      );
    expect({ success: events('success'), failure: events('failure') }).toEqual(records);
    expect(sample(text, 'supervisor_mesh_dispatch_total{status="success"}')).toBe(3 + 2 + 1 + 2 + 1);
    expect(sample(text, 'supervisor_worker_latency_samples_total{worker="gpu-runner"}')).toBe(5);
    expect(sample(text, 'supervisor_worker_task_failures_total{worker="cpu-runner"}')).toBe(1);
    const orchestratorText = await (await api('/metrics')).text();
    expect(sample(orchestratorText, 'orchestrator_submissions_accepted_total')).toBe(5);
  });

  it('when two orchestrators run, they answer the same run identically while it runs; a restart of either loses nothing', async () => {
    const second = await mesh.orchestrator('orch-2');
    const viaSecond = async (link: string) => (await fetch(`http://127.0.0.1:${second.port}${link}`)).json();
    const { runId, links } = await post({
      workflow: 'audit',
      tenant: 'acme',
      tasks: [
        { id: 'a', kind: 'sleep', payload: { ms: 1500 } },
        { id: 'b', kind: 'echo', dependsOn: ['a'] },
      ],
    });
    // While it runs: one state, so both answer the same. Asked one after the other, they agree unless the
    // run changed in between: within the task's sleep it does not.
    const running = await eventually(async () => {
      const a = (await (await api(links.run)).json()) as { status: string; counts: { running: number } };
      const b = (await viaSecond(links.run)) as unknown;
      return a.status === 'running' && a.counts.running === 1 && JSON.stringify(a) === JSON.stringify(b)
        ? a
        : undefined;
    });
    expect(running).toMatchObject({ runId, status: 'running', counts: { running: 1, pending: 1 } });

    expect(await orchestrator.stop('SIGTERM')).toBe(0);
    orchestrator = await mesh.orchestrator('orch-1');
    const done = await finalRecord(links.run);
    expect(await viaSecond(links.run)).toEqual(done);
    expect(done).toMatchObject({
      status: 'succeeded',
      domain: 'gpu',
      startedAt: expect.any(Number),
      finishedAt: expect.any(Number),
    });
    expect((done['tasks'] as Array<{ status: string; runnerId: string }>).map((t) => [t.status, t.runnerId])).toEqual([
      ['succeeded', 'gpu-runner'],
      ['succeeded', 'gpu-runner'],
    ]);
  });

  it('when a submission is written straight onto mesh:workflows (no orchestrator), it runs and can be read over HTTP', async () => {
    const runId = await mesh.submit('direct', 'acme', [{ id: 'a', kind: 'echo', payload: { via: 'stream' } }]);
    const run = await finalRecord(`/workflows/direct/runs/${runId}`);
    expect(run).toMatchObject({ runId, status: 'succeeded', domain: 'gpu' });
    expect((run['tasks'] as Array<{ output: unknown }>)[0]?.output).toEqual({ via: 'stream' });
    const list = (await (await api('/workflows/direct/runs')).json()) as { runs: Array<{ runId: string }> };
    expect(list.runs.map((r) => r.runId)).toEqual([runId]);
  });
});
