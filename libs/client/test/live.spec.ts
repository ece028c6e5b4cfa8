import { MeshHarness } from '@mesh/mesh-harness';
import { createRedisTestContext, eventually, type RedisTestContext, type ServiceProcess } from '@mesh/testing';
import { applyChange, MeshClient, type FollowEvent, type RunRecord, type WorkflowRequest } from '../src';

/**
 * Listing across workflows, cancel, re-run and the live events stream, against the real built services on the
 * test's own key prefix.
 */
const TOKEN = 'client-live-admin-token-0123456789';
let ctx: RedisTestContext;
let mesh: MeshHarness;
let orchestrator: ServiceProcess;
let client: MeshClient;

beforeAll(async () => {
  ctx = createRedisTestContext('client-live');
  mesh = new MeshHarness(ctx);
  // Tenants "held-…" run in domains without a runner until a test starts one: their runs wait for it.
  await mesh.supervisor('sup-1', { MESH_TENANT_DOMAIN_MAP: 'held-1=held-1,held-2=held-2' });
  await mesh.runner('runner-1', 'default');
  orchestrator = await mesh.orchestrator('orch-1', { MESH_API_TOKEN: TOKEN });
  client = new MeshClient({ baseUrl: `http://127.0.0.1:${orchestrator.port}`, token: TOKEN, reconnectDelayMs: 10 });
});
afterAll(async () => {
  await mesh.stopAll();
  await ctx.cleanup();
});

const request = (workflow: string, tasks: WorkflowRequest['tasks'], tenant = 'acme'): WorkflowRequest => ({
  workflow,
  tenant,
  tasks,
});
const collect = async (events: AsyncIterable<FollowEvent>) => {
  const out: FollowEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
};
const until = (workflow: string, runId: string, done: (r: RunRecord) => boolean) =>
  eventually(async () => {
    const run = await client.get(workflow, runId);
    return done(run) ? run : undefined;
  });
const ended = (r: RunRecord) => r.status === 'succeeded' || r.status === 'failed' || r.status === 'cancelled';

describe('MeshClient.list', () => {
  it('when runs of several workflows and tenants exist, list filters them by tenant, workflow and status, newest first', async () => {
    const a = await client.submit(request('list-a', [{ id: 't', kind: 'echo' }], 'north'));
    const b = await client.submit(request('list-b', [{ id: 't', kind: 'fail' }], 'north'));
    const c = await client.submit(request('list-a', [{ id: 't', kind: 'echo' }], 'south'));
    for (const [w, r] of [
      ['list-a', a],
      ['list-b', b],
      ['list-a', c],
    ] as const)
      await until(w, r.runId, ended);
    const north = await client.list({ tenant: 'north', limit: 100 });
    expect(north.runs.map((r) => r.runId)).toEqual([b.runId, a.runId]);
    expect(north.runs[0]).toMatchObject({
      workflow: 'list-b',
      tenant: 'north',
      status: 'failed',
      counts: { failed: 1 },
    });
    expect((await client.list({ workflow: 'list-a' })).runs.map((r) => r.runId)).toEqual([c.runId, a.runId]);
    expect((await client.list({ tenant: 'north', status: 'succeeded' })).runs.map((r) => r.runId)).toEqual([a.runId]);
    // Since the newest one's submission: it and whatever was submitted in the same millisecond, nothing older.
    const newest = north.runs[0]?.submittedAt as number;
    const expected = north.runs.filter((r) => r.submittedAt >= newest).map((r) => r.runId);
    expect((await client.list({ tenant: 'north', since: newest })).runs.map((r) => r.runId)).toEqual(expected);
    const iso = new Date(newest).toISOString();
    expect((await client.list({ tenant: 'north', since: iso })).runs.map((r) => r.runId)).toEqual(expected);
  });

  it('when a page is smaller than the runs, nextCursor leads through every run exactly once', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++)
      ids.push((await client.submit(request('paged', [{ id: 't', kind: 'echo' }], 'pager'))).runId);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.list({ tenant: 'pager', limit: 2, ...(cursor ? { cursor } : {}) });
      seen.push(...page.runs.map((r) => r.runId));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
  });
});

describe('MeshClient.cancel and rerun', () => {
  it('when a running run is cancelled, it ends cancelled at once; cancelling it again is 409 MESH_RUN_FINISHED', async () => {
    const { runId } = await client.submit(
      request('cancel-me', [
        { id: 'long', kind: 'sleep', payload: { ms: 60_000 } },
        { id: 'after', kind: 'echo', dependsOn: ['long'] },
      ]),
    );
    await until('cancel-me', runId, (r) => r.tasks[0]?.status === 'running');
    const summary = await client.cancel('cancel-me', runId);
    expect(summary).toMatchObject({ runId, status: 'cancelled' });
    expect((summary as unknown as { tasks?: unknown }).tasks).toBeUndefined();
    const run = await until('cancel-me', runId, (r) => r.tasks.every((t) => t.status === 'cancelled'));
    expect(run.status).toBe('cancelled');
    await expect(client.cancel('cancel-me', runId)).rejects.toMatchObject({ status: 409, code: 'MESH_RUN_FINISHED' });
  });

  it('when a failed run is re-run, the new run reuses what succeeded and runs the rest; re-running a running run is 409', async () => {
    const first = await client.submit(
      request('again', [
        { id: 'ok', kind: 'echo', payload: { n: 1 } },
        { id: 'flaky', kind: 'fail', payload: { message: 'down' }, dependsOn: ['ok'] },
      ]),
    );
    await until('again', first.runId, ended);
    const second = await client.rerun('again', first.runId);
    expect(second).toMatchObject({ workflow: 'again', status: 'queued', rerunOf: first.runId });
    expect(second.runId).not.toBe(first.runId);
    const run = await until('again', second.runId, ended);
    expect(run).toMatchObject({ status: 'failed', rerunOf: first.runId });
    expect(run.tasks.map((t) => [t.id, t.status, t.reused ?? false, t.output])).toEqual([
      ['ok', 'succeeded', true, { n: 1 }],
      ['flaky', 'failed', false, undefined],
    ]);

    const slow = await client.submit(request('again', [{ id: 's', kind: 'sleep', payload: { ms: 60_000 } }]));
    await expect(client.rerun('again', slow.runId)).rejects.toMatchObject({
      status: 409,
      code: 'MESH_RUN_NOT_FINISHED',
    });
    await client.cancel('again', slow.runId);
  });
});

describe('MeshClient.follow', () => {
  const tasks: WorkflowRequest['tasks'] = [
    { id: 'a', kind: 'sleep', payload: { ms: 300 } },
    { id: 'b', kind: 'echo', payload: { done: true }, dependsOn: ['a'] },
  ];

  it('when a run is followed, a snapshot comes first, then its changes with ids, then end with the final record, and it stops', async () => {
    const { runId } = await client.submit(request('followed', tasks, 'held-1'));
    const iterator = client.follow('followed', runId)[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.value).toMatchObject({ type: 'snapshot', record: { runId } });
    // Its tasks run only now: every change comes over the stream.
    await mesh.runner('runner-held-1', 'held-1');
    const events: FollowEvent[] = [first.value as FollowEvent];
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) events.push(next.value);
    const last = events[events.length - 1];
    expect(last?.type).toBe('end');
    const final = (last as { record: RunRecord }).record;
    expect(final).toMatchObject({ runId, status: 'succeeded', counts: { succeeded: 2 } });
    expect(final.tasks[1]?.output).toEqual({ done: true });
    expect(final).toEqual(await client.get('followed', runId));
    const changes = events.filter((e) => e.type === 'change');
    expect(changes.length).toBeGreaterThan(0);
    const ids = changes.map((e) => e.id);
    expect(ids.every((id) => /^\d+-\d+$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    // The changes, applied to the snapshot, tell the same story as the final record.
    let view = (events[0] as { record: RunRecord }).record;
    for (const e of changes) view = applyChange(view, e.event);
    expect(view.status).toBe('succeeded');
    expect(view.tasks.map((t) => [t.id, t.status, t.runnerId])).toEqual([
      ['a', 'succeeded', 'runner-held-1'],
      ['b', 'succeeded', 'runner-held-1'],
    ]);
  });

  it('when a run already ended, follow yields snapshot and end at once', async () => {
    const { runId } = await client.submit(request('followed', [{ id: 'x', kind: 'echo' }]));
    await until('followed', runId, ended);
    const events = await collect(client.follow('followed', runId));
    expect(events.map((e) => e.type)).toEqual(['snapshot', 'end']);
  });

  it('when the connection drops after a change, it reconnects with Last-Event-ID and gets only the changes after it', async () => {
    const requests: Array<{ lastEventId: string | null }> = [];
    let cut = false;
    // The first events response is cut right after its first change: the connection breaks there.
    const cutting: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (!String(input).endsWith('/events')) return res;
      requests.push({ lastEventId: new Headers(init?.headers).get('last-event-id') });
      if (cut) return res;
      cut = true;
      return new Response(cutAfterFirstChange(res.body as ReadableStream<Uint8Array>), {
        status: res.status,
        headers: res.headers,
      });
    };
    const flaky = new MeshClient({
      baseUrl: `http://127.0.0.1:${orchestrator.port}`,
      token: TOKEN,
      fetch: cutting,
      reconnectDelayMs: 10,
    });
    const { runId } = await client.submit(request('followed', tasks, 'held-2'));
    const iterator = flaky.follow('followed', runId)[Symbol.asyncIterator]();
    const events: FollowEvent[] = [(await iterator.next()).value as FollowEvent];
    expect(events[0]?.type).toBe('snapshot');
    await mesh.runner('runner-held-2', 'held-2');
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) events.push(next.value);
    const changes = events.filter((e): e is Extract<FollowEvent, { type: 'change' }> => e.type === 'change');
    const firstId = changes[0]?.id as string;
    expect(requests).toEqual([{ lastEventId: null }, { lastEventId: firstId }]);
    expect(changes.slice(1).every((c) => compareIds(c.id, firstId) > 0)).toBe(true);
    expect(new Set(changes.map((c) => c.id)).size).toBe(changes.length);
    expect(events[events.length - 1]).toMatchObject({ type: 'end', record: { runId, status: 'succeeded' } });
    expect(events.filter((e) => e.type === 'snapshot')).toHaveLength(2);
  });
});

/** The stream's bytes up to the end of its first `change` event, then an error, as when a connection breaks. */
function cutAfterFirstChange(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return controller.close();
        text += decoder.decode(value, { stream: true });
        const change = text.indexOf('event: change\n');
        const end = change === -1 ? -1 : text.indexOf('\n\n', change);
        if (end === -1) continue;
        controller.enqueue(new TextEncoder().encode(text.slice(0, end + 2)));
        // Not awaited: the break is what matters, not how long the socket takes to go away.
        reader.cancel().catch(() => undefined);
        return controller.error(new TypeError('terminated'));
      }
    },
  });
}

/** Orders two stream ids ("ms-seq"). */
function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(BigInt) as [bigint, bigint];
  const [bm, bs] = b.split('-').map(BigInt) as [bigint, bigint];
  return am === bm ? Number(as - bs) : am < bm ? -1 : 1;
}
