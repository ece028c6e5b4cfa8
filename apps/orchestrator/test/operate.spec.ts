import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readAcks, MeshHarness, sample } from '@mesh/mesh-harness';
import { createRedisTestContext, eventually, type RedisTestContext, type ServiceProcess } from '@mesh/testing';
import { openApiProblems, undocumented } from './support/openapi-schemas';

/** The body conforms to its schema in docs/openapi.yaml and has no field the document does not name. */
function expectDocumented(schema: string, body: unknown): void {
  expect([schema, openApiProblems(schema, body), undocumented(schema, body)]).toEqual([schema, [], []]);
}

const ADMIN = 'admin-token-0123456789';
const ACME = 'acme-token-0123456789';
const GLOBEX = 'globex-token-0123456789';

let ctx: RedisTestContext;
let mesh: MeshHarness;
let orchestrator: ServiceProcess;
let consoleDir: string;

beforeAll(async () => {
  ctx = createRedisTestContext('operate');
  mesh = new MeshHarness(ctx);
  consoleDir = mkdtempSync(join(tmpdir(), 'mesh-console-'));
  writeFileSync(join(consoleDir, 'index.html'), '<!doctype html><title>Mesh</title><script src="app.js"></script>');
  writeFileSync(join(consoleDir, 'app.js'), 'console.log("mesh");');
  // Tenant "idle" is routed to a domain without runners: its tasks wait.
  await mesh.supervisor('sup-1', { MESH_TENANT_DOMAIN_MAP: 'idle=nowhere' });
  await mesh.runner('cpu-1', 'default', { RUNNER_CONCURRENCY: '4' });
  orchestrator = await mesh.orchestrator('orch-1', {
    MESH_API_TOKEN: ADMIN,
    MESH_API_TOKENS: `${ACME}=acme,${GLOBEX}=globex`,
    ORCHESTRATOR_SSE_HEARTBEAT_MS: '200',
    ORCHESTRATOR_CONSOLE_DIR: consoleDir,
  });
});
afterAll(async () => {
  await mesh.stopAll();
  await ctx.cleanup();
  rmSync(consoleDir, { recursive: true, force: true });
});

const api = (path: string, token = ADMIN, init: RequestInit = {}) =>
  fetch(`http://127.0.0.1:${orchestrator.port}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers },
  });
const json = async <T = Record<string, unknown>>(res: Response): Promise<T> => (await res.json()) as T;

interface Task {
  id: string;
  kind?: string;
  payload?: unknown;
  dependsOn?: string[];
  retries?: number;
}
async function submit(workflow: string, tenant: string, tasks: Task[], token = ADMIN): Promise<string> {
  const body = { workflow, tenant, tasks: tasks.map((t) => ({ kind: 'echo', ...t })) };
  const res = await api('/workflow', token, { method: 'POST', body: JSON.stringify(body) });
  expect(res.status).toBe(202);
  return (await json<{ runId: string }>(res)).runId;
}
const record = async (workflow: string, runId: string, token = ADMIN) =>
  json<{
    status: string;
    rerunOf?: string;
    tasks: Array<{
      id: string;
      status: string;
      output?: unknown;
      reused?: boolean;
      error?: string;
      waiting?: { reason: string; message: string };
    }>;
  }>(await api(`/workflows/${workflow}/runs/${runId}`, token));
const ended = (workflow: string, runId: string) =>
  eventually(async () => {
    const r = await record(workflow, runId);
    return ['succeeded', 'failed', 'cancelled'].includes(r.status) ? r : undefined;
  });

/** Reads a run's event stream to its end: each event's name, id and data. */
async function readEvents(
  path: string,
  headers: Record<string, string> = {},
): Promise<Array<{ event: string; id?: string; data: Record<string, unknown> }>> {
  const res = await api(path, ADMIN, { headers });
  expect([res.status, res.headers.get('content-type')]).toEqual([200, 'text/event-stream; charset=utf-8']);
  const text = await res.text(); // the server closes the stream after `end`
  return text
    .split('\n\n')
    .filter((block) => /^(id|event|data):/m.test(block))
    .map((block) => {
      const field = (name: string) => new RegExp(`^${name}: ?(.*)$`, 'm').exec(block)?.[1];
      const id = field('id');
      return {
        event: field('event') ?? 'message',
        ...(id ? { id } : {}),
        data: JSON.parse(field('data') ?? 'null') as Record<string, unknown>,
      };
    });
}

describe('operating runs over HTTP', () => {
  it('when runs of several workflows and tenants exist, GET /runs lists summaries newest first with filters, pages and tenancy', async () => {
    const t0 = Date.now();
    const a1 = await submit('ops-list-a', 'acme', [{ id: 'x' }]);
    const g1 = await submit('ops-list-b', 'globex', [{ id: 'x' }]);
    const a2 = await submit('ops-list-b', 'acme', [{ id: 'x' }, { id: 'y', dependsOn: ['x'] }]);
    const bad = await submit('ops-list-a', 'acme', [{ id: 'x', kind: 'fail', payload: { message: 'no' } }]);
    for (const [w, id] of [
      ['ops-list-a', a1],
      ['ops-list-b', g1],
      ['ops-list-b', a2],
      ['ops-list-a', bad],
    ] as const)
      await ended(w, id);
    const ids = async (query: string, token = ADMIN) => {
      const res = await api(`/runs?${query}`, token);
      expect(res.status).toBe(200);
      const page = await json<{ runs: Array<{ runId: string; counts: Record<string, number> }>; nextCursor: unknown }>(
        res,
      );
      expectDocumented('RunPage', page);
      return page.runs.map((r) => r.runId);
    };
    const since = `since=${t0}`;
    expect(await ids(since)).toEqual([bad, a2, g1, a1]);
    expect(await ids(`${since}&tenant=acme`)).toEqual([bad, a2, a1]);
    expect(await ids(`${since}&workflow=ops-list-b`)).toEqual([a2, g1]);
    expect(await ids(`${since}&workflow=ops-list-b&tenant=globex`)).toEqual([g1]);
    expect(await ids(`${since}&status=failed`)).toEqual([bad]);
    expect(await ids(`since=${new Date(Date.now() + 60_000).toISOString()}`)).toEqual([]);
    // A summary carries counts per task status, never the tasks.
    const summary = (
      await json<{ runs: Array<Record<string, unknown>> }>(await api(`/runs?${since}&limit=4`))
    ).runs.find((r) => r['runId'] === a2);
    expect(summary).toMatchObject({ workflow: 'ops-list-b', tenant: 'acme', status: 'succeeded' });
    expect(summary?.['counts']).toMatchObject({ succeeded: 2, failed: 0 });
    expect(summary?.['tasks']).toBeUndefined();
    // Pages: two at a time, each cursor goes on where the last page ended.
    const first = await json<{ runs: Array<{ runId: string }>; nextCursor: string }>(
      await api(`/runs?${since}&limit=2`),
    );
    const second = await json<{ runs: Array<{ runId: string }>; nextCursor: string | null }>(
      await api(`/runs?${since}&limit=2&cursor=${first.nextCursor}`),
    );
    expect([...first.runs, ...second.runs].map((r) => r.runId)).toEqual([bad, a2, g1, a1]);
    // A cursor made for one query does not open for another.
    expect((await api(`/runs?${since}&status=failed&limit=2&cursor=${first.nextCursor}`)).status).toBe(400);
    // A tenant's token lists only its own runs, and may not name another tenant.
    expect(await ids(since, ACME)).toEqual([bad, a2, a1]);
    expect(await ids(`${since}&workflow=ops-list-b`, GLOBEX)).toEqual([g1]);
    const forbidden = await api(`/runs?tenant=acme`, GLOBEX);
    expect([forbidden.status, (await json<{ error: { code: string } }>(forbidden)).error.code]).toEqual([
      403,
      'MESH_FORBIDDEN',
    ]);
    const invalid = await api('/runs?status=done&since=yesterday&tenant=a%20b&limit=0');
    expect(invalid.status).toBe(400);
    const problem = await json<{ error: { details: string[] } }>(invalid);
    expectDocumented('Error', problem);
    expect(problem.error.details).toEqual([
      'limit: must be an integer from 1 to 100',
      'status: must be one of queued, running, succeeded, failed, cancelled',
      expect.stringMatching(/^tenant: /),
      'since: must be epoch milliseconds or an ISO 8601 date-time',
    ]);
    expect((await api('/runs', 'not-a-token')).status).toBe(401);
  });

  it('when a running run is cancelled, its running task is aborted on the runner and acked cancelled, the rest never start, and the run ends cancelled', async () => {
    const runId = await submit('ops-cancel', 'acme', [
      { id: 'long', kind: 'sleep', payload: { ms: 60_000 } },
      { id: 'after', dependsOn: ['long'] },
    ]);
    await eventually(async () =>
      (await record('ops-cancel', runId)).tasks[0]?.status === 'running' ? true : undefined,
    );
    // Another tenant cannot cancel it (it cannot see it).
    expect((await api(`/workflows/ops-cancel/runs/${runId}/cancel`, GLOBEX, { method: 'POST' })).status).toBe(404);
    const started = Date.now();
    const res = await api(`/workflows/ops-cancel/runs/${runId}/cancel`, ACME, { method: 'POST' });
    expect(res.status).toBe(200);
    const cancelled = await json(res);
    expectDocumented('RunSummary', cancelled);
    expect(cancelled).toMatchObject({
      runId,
      status: 'cancelled',
      counts: { cancelled: 2, running: 0, pending: 0 },
      error: 'cancelled by tenant acme',
    });
    const r = await record('ops-cancel', runId);
    expect(r.tasks.map((t) => [t.id, t.status])).toEqual([
      ['long', 'cancelled'],
      ['after', 'cancelled'],
    ]);
    // The runner aborted the 60 s sleep and acked it cancelled, long before it would have ended.
    const ack = await eventually(async () =>
      (await readAcks(ctx.redis, mesh.keys.acks)).find((a) => a.runId === runId && a.taskId === 'long'),
    );
    expect(ack).toMatchObject({ success: false, cancelled: true, runnerId: 'cpu-1' });
    expect(ack.finishedAt - started).toBeLessThan(30_000);
    expect((await readAcks(ctx.redis, mesh.keys.acks)).filter((a) => a.runId === runId)).toHaveLength(1);
    expect((await mesh.events(runId)).map((e) => e.type)).toContain('run-cancelled');
    expect(sample(await mesh.metrics(orchestrator), 'orchestrator_runs_cancelled_total')).toBe(1);
    // Cancelling again, or an unknown run, is a clear error.
    const again = await api(`/workflows/ops-cancel/runs/${runId}/cancel`, ADMIN, { method: 'POST' });
    expect([again.status, (await json<{ error: { code: string } }>(again)).error.code]).toEqual([
      409,
      'MESH_RUN_FINISHED',
    ]);
    const unknown = `/workflows/ops-cancel/runs/0190a3c4-0000-7000-8000-000000000000/cancel`;
    expect((await api(unknown, ADMIN, { method: 'POST' })).status).toBe(404);
  });

  it('when a failed run is re-run, tasks that succeeded are reused with their outputs and the rest run again', async () => {
    const runId = await submit('ops-rerun', 'globex', [
      { id: 'fetch', kind: 'echo', payload: { rows: 3 } },
      { id: 'flaky', kind: 'fail', payload: { message: 'disk full' }, dependsOn: ['fetch'] },
      { id: 'report', kind: 'echo', dependsOn: ['flaky'] },
    ]);
    expect((await ended('ops-rerun', runId)).status).toBe('failed');
    // Only a run that ended can be re-run, and only by a token that sees it.
    expect((await api(`/workflows/ops-rerun/runs/${runId}/rerun`, ACME, { method: 'POST' })).status).toBe(404);
    const res = await api(`/workflows/ops-rerun/runs/${runId}/rerun`, GLOBEX, { method: 'POST' });
    expect(res.status).toBe(202);
    const accepted = await json<{ runId: string; rerunOf: string; status: string; links: { run: string } }>(res);
    expectDocumented('RerunAccepted', accepted);
    expect(accepted).toMatchObject({ rerunOf: runId, status: 'queued', workflow: 'ops-rerun' });
    expect(res.headers.get('location')).toBe(accepted.links.run);
    const again = await ended('ops-rerun', accepted.runId);
    expectDocumented('Run', again);
    expect(again).toMatchObject({ status: 'failed', rerunOf: runId });
    expect(again.tasks.map((t) => [t.id, t.status, t.reused ?? false, t.output])).toEqual([
      ['fetch', 'succeeded', true, { rows: 3 }],
      ['flaky', 'failed', false, undefined],
      ['report', 'skipped', false, undefined],
    ]);
    // The reused task did not run again: one ack of it in all, from the first run.
    const fetches = (await readAcks(ctx.redis, mesh.keys.acks)).filter((a) => a.taskId === 'fetch');
    expect(fetches.map((a) => a.runId).filter((id) => id === runId || id === accepted.runId)).toEqual([runId]);

    const ok = await submit('ops-rerun', 'globex', [{ id: 'x' }]);
    await ended('ops-rerun', ok);
    const nothing = await api(`/workflows/ops-rerun/runs/${ok}/rerun`, GLOBEX, { method: 'POST' });
    expect([nothing.status, (await json<{ error: { code: string } }>(nothing)).error.code]).toEqual([
      409,
      'MESH_NOTHING_TO_RERUN',
    ]);
    const running = await submit('ops-rerun', 'globex', [{ id: 's', kind: 'sleep', payload: { ms: 60_000 } }]);
    const early = await api(`/workflows/ops-rerun/runs/${running}/rerun`, GLOBEX, { method: 'POST' });
    expect([early.status, (await json<{ error: { code: string } }>(early)).error.code]).toEqual([
      409,
      'MESH_RUN_NOT_FINISHED',
    ]);
    await api(`/workflows/ops-rerun/runs/${running}/cancel`, GLOBEX, { method: 'POST' });
  });

  it('when a run is followed, its event stream starts with a snapshot, carries each change and ends with the final record; Last-Event-ID resumes', async () => {
    const runId = await submit('ops-events', 'acme', [
      { id: 'a', kind: 'sleep', payload: { ms: 300 } },
      { id: 'b', dependsOn: ['a'] },
    ]);
    const path = `/workflows/ops-events/runs/${runId}/events`;
    const events = await readEvents(path);
    expect(events[0]?.event).toBe('snapshot');
    expect(events[0]?.data).toMatchObject({ runId, tasks: [{ id: 'a' }, { id: 'b' }] });
    const last = events[events.length - 1];
    expect(last?.event).toBe('end');
    expect(last?.data).toMatchObject({ runId, status: 'succeeded' });
    expectDocumented('Run', events[0]?.data);
    expectDocumented('Run', last?.data);
    const changes = events.filter((e) => e.event === 'change');
    expect(changes.length).toBeGreaterThan(0);
    expect(changes.every((c) => c.data['runId'] === runId && /^\d+-\d+$/.test(c.id ?? ''))).toBe(true);
    // Ids only grow; the run's final change is among them.
    const ids = changes.map((c) => c.id as string);
    expect(
      [...ids].sort((x, y) => (BigInt(x.split('-')[0] as string) < BigInt(y.split('-')[0] as string) ? -1 : 1)),
    ).toEqual(ids);
    expect(changes.some((c) => c.data['type'] === 'run-succeeded')).toBe(true);

    // Resuming after the first change replays the later ones, then the snapshot and end of an ended run.
    const resumed = await readEvents(path, { 'Last-Event-ID': ids[0] as string });
    expect(resumed.filter((e) => e.event === 'change').map((e) => e.id)).toEqual(ids.slice(1));
    expect(resumed.slice(-2).map((e) => e.event)).toEqual(['snapshot', 'end']);
    // Another tenant cannot follow it; an unknown run is a 404 before any stream starts.
    expect((await api(path, GLOBEX)).status).toBe(404);
    expect((await api(`/workflows/ops-events/runs/0190a3c4-0000-7000-8000-000000000000/events`)).status).toBe(404);
  });

  it('when the orchestrator gets SIGTERM with an event stream open, the stream ends and it exits 0 promptly', async () => {
    const other = await mesh.orchestrator('orch-2', { MESH_API_TOKEN: ADMIN });
    const runId = await submit('ops-drain', 'acme', [{ id: 'long', kind: 'sleep', payload: { ms: 60_000 } }]);
    const res = await fetch(`http://127.0.0.1:${other.port}/workflows/ops-drain/runs/${runId}/events`, {
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    expect(res.status).toBe(200);
    const body = res.text();
    const started = Date.now();
    expect(await other.stop('SIGTERM')).toBe(0);
    expect(await body).toContain('event: snapshot');
    expect(Date.now() - started).toBeLessThan(10_000);
    await api(`/workflows/ops-drain/runs/${runId}/cancel`, ADMIN, { method: 'POST' });
  });

  it('when tasks cannot start, their records say why: dependencies, no live runner in the domain, the queue ahead', async () => {
    const stuck = await submit('ops-wait', 'idle', [{ id: 'a' }, { id: 'b', dependsOn: ['a'] }]);
    const waits = await eventually(async () => {
      const r = await record('ops-wait', stuck);
      return r.tasks[0]?.waiting?.reason === 'no_runner' ? r.tasks.map((t) => t.waiting) : undefined;
    });
    expect(waits).toEqual([
      {
        reason: 'no_runner',
        since: expect.any(Number),
        message: expect.stringMatching(/^no live runner in domain nowhere since /),
      },
      { reason: 'dependencies', message: 'waiting for dependency a' },
    ]);
    // Six 3 s tasks on a runner that runs four at once: two wait in the queue, behind nothing yet taken.
    const busy = await submit(
      'ops-wait',
      'acme',
      ['s1', 's2', 's3', 's4', 's5', 's6'].map((id) => ({ id, kind: 'sleep', payload: { ms: 3000 } })),
    );
    const queued = await eventually(async () => {
      const r = await record('ops-wait', busy);
      const q = r.tasks.filter((t) => t.status === 'queued');
      return r.tasks.filter((t) => t.status === 'running').length === 4 && q.length === 2 ? q : undefined;
    });
    expectDocumented('Run', await record('ops-wait', busy));
    expectDocumented('Run', await record('ops-wait', stuck));
    for (const t of queued) {
      expect(t.waiting).toMatchObject({ reason: 'queue', ahead: 2 });
      expect(t.waiting?.message).toBe('queued in domain default behind up to 2 assignments no runner has taken yet');
    }
    for (const id of [stuck, busy]) await api(`/workflows/ops-wait/runs/${id}/cancel`, ADMIN, { method: 'POST' });
    // An ended run waits for nothing.
    expect((await record('ops-wait', stuck)).tasks.map((t) => t.waiting)).toEqual([undefined, undefined]);
  });

  it('when a task names both a domain and requirements, the submission is refused with that problem', async () => {
    const res = await api('/workflow', ADMIN, {
      method: 'POST',
      body: JSON.stringify({
        workflow: 'ops-route',
        tenant: 'acme',
        tasks: [{ id: 'a', kind: 'echo', domain: 'gpu', requires: { gpu: { count: 1 } } }],
      }),
    });
    expect(res.status).toBe(400);
    expect((await json<{ error: { details: string[] } }>(res)).error.details).toEqual([
      '/tasks/0: give domain or requires, not both',
    ]);
  });

  it('when the console is built, / serves it with a strict content security policy, and its config lists the links', async () => {
    const page = await fetch(`http://127.0.0.1:${orchestrator.port}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>Mesh</title>');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const script = await fetch(`http://127.0.0.1:${orchestrator.port}/app.js`);
    expect([script.status, script.headers.get('content-type')]).toEqual([200, 'text/javascript; charset=utf-8']);
    expect((await fetch(`http://127.0.0.1:${orchestrator.port}/nothing.js`)).status).toBe(404);
    const config = await json<{ links: Array<{ name: string; url: string }> }>(
      await fetch(`http://127.0.0.1:${orchestrator.port}/console/config.json`),
    );
    expect(config.links.map((l) => l.name)).toEqual(['orchestrator', 'supervisor', 'env-runner']);
  });
});
