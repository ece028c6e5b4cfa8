import request from 'supertest';
import { createRedisTestContext, type RedisTestContext } from '@mesh/testing';
import { buildOrchestrator, queuedSubmissions, workflowBody } from './support/orchestrator-app';

let ctx: RedisTestContext;

beforeEach(() => {
  ctx = createRedisTestContext('orchestrator-admission');
});
afterEach(() => ctx.cleanup());

describe('admission limit', () => {
  it('when a tenant has as many queued runs as allowed, its next submission gets 429 with Retry-After and nothing is queued; other tenants still get in', async () => {
    const { app, keys, registry } = buildOrchestrator(ctx, { maxQueuedRunsPerTenant: 2 });
    for (let i = 0; i < 2; i++) expect((await request(app).post('/workflow').send(workflowBody())).status).toBe(202);
    const over = await request(app).post('/workflow').send(workflowBody());
    expect([over.status, over.body.error.code]).toEqual([429, 'MESH_TOO_MANY_QUEUED_RUNS']);
    expect(Number(over.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(over.body.error.message).toBe('tenant "acme" has 2 runs queued, the most allowed; retry later');
    expect(
      (
        await request(app)
          .post('/workflow')
          .send(workflowBody({ tenant: 'globex' }))
      ).status,
    ).toBe(202);
    expect((await queuedSubmissions(ctx, keys)).map((s) => s.tenant)).toEqual(['acme', 'acme', 'globex']);
    expect(await registry.metrics()).toContain('orchestrator_submissions_rejected_total{reason="unavailable"} 1');
  });

  it('when the runs queued over all tenants reach the overall limit, every tenant gets 429', async () => {
    const { app } = buildOrchestrator(ctx, { maxQueuedRuns: 2 });
    await request(app)
      .post('/workflow')
      .send(workflowBody({ tenant: 'a' }));
    await request(app)
      .post('/workflow')
      .send(workflowBody({ tenant: 'b' }));
    const over = await request(app)
      .post('/workflow')
      .send(workflowBody({ tenant: 'c' }));
    expect([over.status, over.body.error.message]).toEqual([429, '2 runs are queued, the most allowed; retry later']);
  });

  it('when a queued run is started by a supervisor or expires, the count follows and the tenant is admitted again', async () => {
    const { app, state } = buildOrchestrator(ctx, { maxQueuedRunsPerTenant: 2 });
    const first = (await request(app).post('/workflow').send(workflowBody())).body.runId as string;
    const second = (await request(app).post('/workflow').send(workflowBody())).body.runId as string;
    expect((await request(app).post('/workflow').send(workflowBody())).status).toBe(429);
    await state.start(first, { domain: 'default', route: 'default', replay: false });
    expect((await request(app).post('/workflow').send(workflowBody())).status).toBe(202);
    expect((await request(app).post('/workflow').send(workflowBody())).status).toBe(429);
    await state.discard(second);
    expect((await request(app).post('/workflow').send(workflowBody())).status).toBe(202);
  });

  it('when an Idempotency-Key replays an accepted run at the limit, it is answered, not refused', async () => {
    const { app } = buildOrchestrator(ctx, { maxQueuedRunsPerTenant: 1 });
    const first = await request(app).post('/workflow').set('idempotency-key', 'k').send(workflowBody());
    const again = await request(app).post('/workflow').set('idempotency-key', 'k').send(workflowBody());
    expect([again.status, again.body.runId]).toEqual([202, first.body.runId]);
  });
});
