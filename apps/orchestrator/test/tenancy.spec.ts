import { randomUUID } from 'node:crypto';
import request, { type Response } from 'supertest';
import { createKeys, type Submission } from '@mesh/mesh-protocol';
import { RunIndex, RunState } from '@mesh/run-state';
import { createRedisTestContext, type RedisTestContext } from '@mesh/testing';
import { buildOrchestrator, queuedSubmissions, workflowBody } from './support/orchestrator-app';

const ACME = 'acme-token-0123456789';
const GLOBEX = 'globex-token-0123456789';
const ADMIN = 'admin-token-0123456789';
const INITECH = 'initech-token-0123456789';

let ctx: RedisTestContext;

beforeEach(() => {
  ctx = createRedisTestContext('orchestrator-tenancy');
});
afterEach(() => ctx.cleanup());

function build(admin = ADMIN) {
  return buildOrchestrator(ctx, {
    token: admin,
    tenantTokens: [
      { token: ACME, principal: { kind: 'tenant', tenant: 'acme' } },
      { token: GLOBEX, principal: { kind: 'tenant', tenant: 'globex' } },
      { token: INITECH, principal: { kind: 'tenant', tenant: 'initech' } },
    ],
  });
}

/**
 * Writes runs of workflow `etl` straight into Redis (created and indexed, as the orchestrator does), one
 * per tenant named, oldest first, a millisecond apart; returns their run ids in the same order.
 */
async function seedRuns(tenants: readonly string[]): Promise<string[]> {
  const keys = createKeys(ctx.prefix);
  const state = new RunState(ctx.redis, keys, { finishedTtlMs: 60_000 });
  const index = new RunIndex(ctx.redis, keys, 60_000);
  const pipeline = ctx.redis.pipeline();
  const start = Date.now() - tenants.length;
  const ids = tenants.map((tenant, i) => {
    const s: Submission = {
      runId: randomUUID(),
      workflow: 'etl',
      tenant,
      tasks: [{ id: 'a', kind: 'echo', payload: null, dependsOn: [], retries: 0, timeoutMs: 1000 }],
      submittedAt: start + i,
      hardware: null,
    };
    state.createIn(pipeline, s);
    index.addIn(pipeline, s);
    return s.runId;
  });
  for (const [err] of (await pipeline.exec()) ?? []) if (err) throw err;
  return ids;
}

/** Every text a cursor could carry in the clear: itself, and its base64 / base64url decodings. */
const readings = (cursor: string): string[] => [
  cursor,
  Buffer.from(cursor, 'base64url').toString('latin1'),
  Buffer.from(cursor, 'base64').toString('latin1'),
];

/** Pages through a list with `token`, `limit` runs a call; every run id seen, and every cursor returned. */
async function pageAll(app: Parameters<typeof request>[0], token: string, limit: number, status = '') {
  const seen: string[] = [];
  const cursors: string[] = [];
  let cursor: string | null = null;
  for (let calls = 0; calls < 100; calls++) {
    const page: Response = await request(app)
      .get(`/workflows/etl/runs?limit=${limit}${status}${cursor ? `&cursor=${cursor}` : ''}`)
      .set(bearer(token));
    expect(page.status).toBe(200);
    seen.push(...page.body.runs.map((r: { runId: string }) => r.runId));
    cursor = page.body.nextCursor;
    if (!cursor) break;
    cursors.push(cursor);
  }
  expect(cursor).toBeNull();
  return { seen, cursors };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('tenancy', () => {
  it("when a tenant's token submits for its own tenant, 202; for another tenant, a JSON 403 and nothing is queued", async () => {
    const { app, keys, registry } = build();
    const own = await request(app)
      .post('/workflow')
      .set(bearer(ACME))
      .send(workflowBody({ tenant: 'acme' }));
    expect(own.status).toBe(202);
    const other = await request(app)
      .post('/workflow')
      .set(bearer(ACME))
      .send(workflowBody({ tenant: 'globex' }));
    expect([other.status, other.body.error.code]).toEqual([403, 'MESH_FORBIDDEN']);
    expect(JSON.stringify(other.body)).not.toContain(ACME);
    expect((await queuedSubmissions(ctx, keys)).map((s) => s.tenant)).toEqual(['acme']);
    expect(await registry.metrics()).not.toContain(ACME);
  });

  it("when a tenant reads another tenant's run or list, the answer is the same 404 as for a run that does not exist; the admin reads all", async () => {
    const { app } = build();
    const acmeRun = (await request(app).post('/workflow').set(bearer(ACME)).send(workflowBody())).body;
    const globexRun = (
      await request(app)
        .post('/workflow')
        .set(bearer(GLOBEX))
        .send(workflowBody({ tenant: 'globex' }))
    ).body;

    expect((await request(app).get(acmeRun.links.run).set(bearer(ACME))).status).toBe(200);
    const foreign = await request(app).get(globexRun.links.run).set(bearer(ACME));
    const missing = await request(app)
      .get(`/workflows/etl/runs/00000000-0000-4000-8000-000000000000`)
      .set(bearer(ACME));
    expect([foreign.status, foreign.body.error.code]).toEqual([404, 'MESH_NOT_FOUND']);
    expect(missing.status).toBe(404);

    const acmeList = await request(app).get('/workflows/etl/runs').set(bearer(ACME));
    expect(acmeList.body.runs.map((r: { runId: string }) => r.runId)).toEqual([acmeRun.runId]);
    const adminList = await request(app).get('/workflows/etl/runs').set(bearer(ADMIN));
    expect(adminList.body.runs.map((r: { runId: string }) => r.runId)).toEqual([globexRun.runId, acmeRun.runId]);
    expect((await request(app).get(globexRun.links.run).set(bearer(ADMIN))).status).toBe(200);
  });

  it('when a workflow has runs of other tenants only, a tenant is told it has none, exactly as for an unknown workflow', async () => {
    const { app } = build();
    await request(app)
      .post('/workflow')
      .set(bearer(GLOBEX))
      .send(workflowBody({ tenant: 'globex' }));
    const res = await request(app).get('/workflows/etl/runs').set(bearer(ACME));
    const unknown = await request(app).get('/workflows/nope/runs').set(bearer(ACME));
    // 200 with no runs for both: a tenant's list never says whether other tenants use a workflow.
    expect([res.status, res.body]).toEqual([200, { workflow: 'etl', runs: [], nextCursor: null }]);
    expect([unknown.status, unknown.body]).toEqual([200, { workflow: 'nope', runs: [], nextCursor: null }]);
    // The admin is told an unknown workflow is unknown.
    const admin = await request(app).get('/workflows/nope/runs').set(bearer(ADMIN));
    expect([admin.status, admin.body.error.message]).toEqual([404, 'no runs of workflow "nope"']);
  });

  it("when a tenant pages through a list with hundreds of other tenants' runs, no cursor carries another tenant's run id, and it sees each of its runs once", async () => {
    const { app } = build();
    // Newest first: one acme run, 330 globex runs, two acme runs, 20 globex runs.
    const tenants = [...Array<string>(20).fill('globex'), 'acme', 'acme', ...Array<string>(330).fill('globex'), 'acme'];
    const ids = await seedRuns(tenants);
    const foreign = ids.filter((_, i) => tenants[i] !== 'acme');
    const mine = ids.filter((_, i) => tenants[i] === 'acme').reverse();
    for (const [limit, status] of [
      [1, ''],
      [2, ''],
      [100, '&status=queued'],
    ] as const) {
      const { seen, cursors } = await pageAll(app, ACME, limit, status);
      expect(seen).toEqual(mine);
      for (const cursor of cursors)
        for (const text of readings(cursor)) for (const id of foreign) expect(text).not.toContain(id);
    }
    // A tenant with no run of the workflow is answered with a page, not a 404, however many runs others have.
    const none = await request(app).get('/workflows/etl/runs').set(bearer(INITECH));
    expect([none.status, none.body.runs]).toEqual([200, []]);
  });

  it('when a cursor is tampered with, or used by another tenant, the answer is a JSON 400; another replica with the same tokens reads it', async () => {
    const { app } = build();
    await seedRuns(['acme', 'acme', 'acme']);
    const first = await request(app).get('/workflows/etl/runs?limit=1').set(bearer(ACME));
    const cursor = first.body.nextCursor as string;
    expect(typeof cursor).toBe('string');

    const flipped = `${cursor.slice(0, 20)}${cursor[20] === 'A' ? 'B' : 'A'}${cursor.slice(21)}`;
    for (const [token, bad] of [
      [ACME, flipped],
      [ACME, cursor.slice(0, -2)],
      [ACME, Buffer.from(JSON.stringify([Date.now(), 'x'])).toString('base64url')],
      [GLOBEX, cursor],
      [ADMIN, cursor],
    ] as const) {
      const res = await request(app).get(`/workflows/etl/runs?limit=1&cursor=${bad}`).set(bearer(token));
      expect([res.status, res.body.error.code, res.body.error.details]).toEqual([
        400,
        'MESH_QUERY_INVALID',
        ['cursor: is not a cursor this API returned'],
      ]);
    }
    const other = await request(app).get(`/workflows/other/runs?limit=1&cursor=${cursor}`).set(bearer(ACME));
    expect(other.status).toBe(400);

    // Another orchestrator configured with the same tokens reads the cursor; one with other tokens does not.
    const replica = build().app;
    const next = await request(replica).get(`/workflows/etl/runs?limit=1&cursor=${cursor}`).set(bearer(ACME));
    expect([next.status, next.body.runs.length]).toEqual([200, 1]);
    const stranger = build('another-admin-token-0123').app;
    expect((await request(stranger).get(`/workflows/etl/runs?limit=1&cursor=${cursor}`).set(bearer(ACME))).status).toBe(
      400,
    );
  });

  it("when a tenant pages through a list mixed with other tenants' runs, it sees each of its runs once, newest first", async () => {
    const { app } = build();
    const mine: string[] = [];
    for (let i = 0; i < 7; i++) {
      const token = i % 3 === 0 ? ACME : GLOBEX;
      const res = await request(app)
        .post('/workflow')
        .set(bearer(token))
        .send(workflowBody({ tenant: token === ACME ? 'acme' : 'globex' }));
      if (token === ACME) mine.unshift(res.body.runId);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Response = await request(app)
        .get(`/workflows/etl/runs?limit=2${cursor ? `&cursor=${cursor}` : ''}`)
        .set(bearer(ACME));
      expect(page.status).toBe(200);
      seen.push(...page.body.runs.map((r: { runId: string; tenant: string }) => r.runId));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(mine);
  });

  it('when the token is missing or unknown, every API route answers a JSON 401 with WWW-Authenticate', async () => {
    const { app, registry } = build();
    for (const req of [
      () => request(app).post('/workflow').send(workflowBody()),
      () => request(app).get('/workflows/etl/runs'),
      () => request(app).get('/workflows/etl/runs/x').set('authorization', 'Bearer not-a-token-at-all'),
      () => request(app).get('/workflows/etl/runs').set('authorization', `Basic ${ACME}`),
    ]) {
      const res = await req();
      expect([res.status, res.body.error.code, res.headers['www-authenticate']]).toEqual([
        401,
        'MESH_UNAUTHORIZED',
        'Bearer',
      ]);
    }
    expect((await request(app).get('/healthz')).status).toBe(200);
    expect(await registry.metrics()).toContain('orchestrator_submissions_rejected_total{reason="unauthorized"} 1');
  });
});
