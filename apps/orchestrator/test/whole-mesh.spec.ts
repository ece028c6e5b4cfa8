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
    expect(run['hardware']).toMatchObject({ cpu: expect.any(Object), memory: expect.any(Object) });
    const tasks = run['tasks'] as Array<Record<string, unknown>>;
    expect(tasks.map((t) => [t['id'], t['status'], t['runnerId'], t['domain'], t['attempts']])).toEqual([
      ['extract', 'succeeded', 'gpu-runner', 'gpu', 1],
      ['transform', 'succeeded', 'gpu-runner', 'gpu', 1],
      ['load', 'succeeded', 'gpu-runner', 'gpu', 1],
    ]);
    for (const t of tasks)
      expect(t['hardware']).toMatchObject({
        runnerId: 'gpu-runner',
        cpu: { logicalCores: expect.any(Number) },
        gpus: expect.any(Array),
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
    expect(sample(text, 'supervisor_mesh_dispatch_total{status="success"}')).toBe(3 + 2 + 1);
    expect(sample(text, 'supervisor_worker_latency_samples_total{worker="gpu-runner"}')).toBe(4);
    expect(sample(text, 'supervisor_worker_task_failures_total{worker="cpu-runner"}')).toBe(1);
    const orchestratorText = await (await api('/metrics')).text();
    expect(sample(orchestratorText, 'orchestrator_submissions_accepted_total')).toBe(3);
    expect(sample(orchestratorText, 'orchestrator_runs_finished_total{status="succeeded"}')).toBe(2);
    expect(sample(orchestratorText, 'orchestrator_runs_finished_total{status="failed"}')).toBe(1);
  });

  it('when a second orchestrator runs beside the first and the first restarts, every record is still served, the same by both', async () => {
    const { runId, links } = await post({ workflow: 'audit', tenant: 'acme', tasks: [{ id: 'a', kind: 'echo' }] });
    await finalRecord(links.run);
    const second = await mesh.orchestrator('orch-2');
    const viaSecond = async () => (await fetch(`http://127.0.0.1:${second.port}${links.run}`)).json();
    expect(await viaSecond()).toEqual(await (await api(links.run)).json());

    expect(await orchestrator.stop('SIGTERM')).toBe(0);
    orchestrator = await mesh.orchestrator('orch-1');
    const again = (await (await api(links.run)).json()) as { runId: string; status: string };
    expect([again.runId, again.status]).toEqual([runId, 'succeeded']);

    // Both consume run events now; a new run's record is complete whichever of them applied its events.
    const next = await post({
      workflow: 'audit',
      tenant: 'acme',
      tasks: [
        { id: 'a', kind: 'echo' },
        { id: 'b', kind: 'echo', dependsOn: ['a'] },
      ],
    });
    await finalRecord(next.links.run);
    // Two consumers apply a run's events in parallel, so the record converges rather than arriving in order.
    const done = await eventually(async () => {
      const a = (await (await api(next.links.run)).json()) as Record<string, unknown>;
      const b = (await (await fetch(`http://127.0.0.1:${second.port}${next.links.run}`)).json()) as Record<
        string,
        unknown
      >;
      return a['startedAt'] && JSON.stringify(a) === JSON.stringify(b) ? a : undefined;
    });
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
});
