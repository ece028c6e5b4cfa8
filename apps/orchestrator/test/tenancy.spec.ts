import request, { type Response } from 'supertest';
import { createRedisTestContext, type RedisTestContext } from '@mesh/testing';
import { buildOrchestrator, queuedSubmissions, workflowBody } from './support/orchestrator-app';

const ACME = 'acme-token-0123456789';
const GLOBEX = 'globex-token-0123456789';
const ADMIN = 'admin-token-0123456789';

let ctx: RedisTestContext;

beforeEach(() => {
  ctx = createRedisTestContext('orchestrator-tenancy');
});
afterEach(() => ctx.cleanup());

function build() {
  return buildOrchestrator(ctx, {
    token: ADMIN,
    tenantTokens: [
      { token: ACME, principal: { kind: 'tenant', tenant: 'acme' } },
      { token: GLOBEX, principal: { kind: 'tenant', tenant: 'globex' } },
    ],
  });
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

  it('when a workflow has runs of other tenants only, a tenant is told it has none, like an unknown workflow', async () => {
    const { app } = build();
    await request(app)
      .post('/workflow')
      .set(bearer(GLOBEX))
      .send(workflowBody({ tenant: 'globex' }));
    const res = await request(app).get('/workflows/etl/runs').set(bearer(ACME));
    const unknown = await request(app).get('/workflows/nope/runs').set(bearer(ACME));
    expect([res.status, res.body.error.code]).toEqual([404, 'MESH_NOT_FOUND']);
    expect(res.body.error.message).toBe('no runs of workflow "etl"');
    expect(unknown.body.error.message).toBe('no runs of workflow "nope"');
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
