import request from 'supertest';
import { createRedisTestContext, type RedisTestContext } from '@mesh/testing';
import { buildOrchestrator, queuedSubmissions, workflowBody } from './support/orchestrator-app';

let ctx: RedisTestContext;

beforeEach(() => {
  ctx = createRedisTestContext('orchestrator-idem');
});
afterEach(() => ctx.cleanup());

describe('Idempotency-Key', () => {
  it('when the first attempt stopped after claiming the key and before writing the run, a retry with the key queues that same run and a GET answers it', async () => {
    let failNext = true;
    const { app, keys } = buildOrchestrator(ctx, {
      refreshHardware: async (refresh) => {
        // The orchestrator "dies" between claiming the key and writing the run.
        if (failNext) {
          failNext = false;
          throw new Error('process gone');
        }
        await refresh();
      },
    });
    const first = await request(app).post('/workflow').set('idempotency-key', 'order-7').send(workflowBody());
    expect(first.status).toBe(503);
    expect(await queuedSubmissions(ctx, keys)).toEqual([]);

    const retry = await request(app).post('/workflow').set('idempotency-key', 'order-7').send(workflowBody());
    expect(retry.status).toBe(202);
    const run = await request(app).get(retry.body.links.run);
    expect([run.status, run.body.runId, run.body.status]).toEqual([200, retry.body.runId, 'queued']);
    expect((await queuedSubmissions(ctx, keys)).map((s) => s.runId)).toEqual([retry.body.runId]);

    const again = await request(app).post('/workflow').set('idempotency-key', 'order-7').send(workflowBody());
    expect([again.status, again.body.runId]).toEqual([202, retry.body.runId]);
    expect(await queuedSubmissions(ctx, keys)).toHaveLength(1);
  });

  it('when the publish of the submission fails, nothing is left that claims to be queued, and a retry with the key gets a real run', async () => {
    const { app, keys } = buildOrchestrator(ctx);
    // mesh:workflows of the wrong type: XADD fails after the run was created.
    await ctx.redis.set(keys.workflows, 'not a stream');
    const first = await request(app).post('/workflow').set('idempotency-key', 'order-8').send(workflowBody());
    expect(first.status).toBe(503);
    expect(await ctx.redis.exists(keys.workflow('etl', 'runs'))).toBe(0);
    await ctx.redis.del(keys.workflows);

    const retry = await request(app).post('/workflow').set('idempotency-key', 'order-8').send(workflowBody());
    expect(retry.status).toBe(202);
    expect((await request(app).get(retry.body.links.run)).status).toBe(200);
    expect((await queuedSubmissions(ctx, keys)).map((s) => s.runId)).toEqual([retry.body.runId]);
  });

  it('when the same submission comes again with its keys in another order and defaults spelled out, it is the same run, not a 422', async () => {
    const { app, keys } = buildOrchestrator(ctx);
    const first = await request(app).post('/workflow').set('idempotency-key', 'k-1').send(workflowBody());
    const reordered = {
      tasks: [
        { payload: { t: 1 }, kind: 'echo', id: 'extract', retries: 0, dependsOn: [] },
        { retries: 2, dependsOn: ['extract'], payload: { ms: 5 }, kind: 'sleep', id: 'load', timeoutMs: 300_000 },
      ],
      tenant: 'acme',
      workflow: 'etl',
    };
    const again = await request(app).post('/workflow').set('idempotency-key', 'k-1').send(reordered);
    expect([again.status, again.body.runId]).toEqual([202, first.body.runId]);
    expect(await queuedSubmissions(ctx, keys)).toHaveLength(1);
    // Task order is part of the submission.
    const swapped = { ...workflowBody(), tasks: [...workflowBody().tasks].reverse() };
    const other = await request(app).post('/workflow').set('idempotency-key', 'k-1').send(swapped);
    expect([other.status, other.body.error.code]).toEqual([422, 'MESH_IDEMPOTENCY_CONFLICT']);
  });

  it('when the run of a key has expired since, the key is forgotten and the submission makes a new run', async () => {
    const { app, state } = buildOrchestrator(ctx);
    const first = await request(app).post('/workflow').set('idempotency-key', 'k-2').send(workflowBody());
    await state.discard(first.body.runId);
    const again = await request(app).post('/workflow').set('idempotency-key', 'k-2').send(workflowBody());
    expect(again.status).toBe(202);
    expect(again.body.runId).not.toBe(first.body.runId);
    expect((await request(app).get(again.body.links.run)).status).toBe(200);
  });

  it('when two tenants use the same key for the same workflow, each gets its own run', async () => {
    const { app } = buildOrchestrator(ctx);
    const a = await request(app).post('/workflow').set('idempotency-key', 'k-3').send(workflowBody());
    const b = await request(app)
      .post('/workflow')
      .set('idempotency-key', 'k-3')
      .send(workflowBody({ tenant: 'globex' }));
    expect([a.status, b.status]).toEqual([202, 202]);
    expect(b.body.runId).not.toBe(a.body.runId);
  });
});
