import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { newRunId, runIdTime } from '@mesh/mesh-protocol';
import { createRedisTestContext, type RedisTestContext } from '@mesh/testing';
import { DataEpoch } from '../src/runs/data-epoch';
import { buildOrchestrator, workflowBody } from './support/orchestrator-app';

let ctx: RedisTestContext;

beforeEach(() => {
  ctx = createRedisTestContext('orchestrator-lost-runs');
});
afterEach(() => ctx.cleanup());

describe('runs lost with the Redis data', () => {
  it('when a run accepted before Redis lost its data is read, the answer is 410 saying it failed and why; later or foreign ids stay 404', async () => {
    const { app, keys } = buildOrchestrator(ctx);
    // Redis came back empty at `began`: the first connection after the restart wrote the epoch.
    const began = Date.now();
    await new DataEpoch(ctx.redis, keys, () => began).mark();
    // A later mark (another orchestrator, a reconnection) does not move it.
    await new DataEpoch(ctx.redis, keys, () => began + 60_000).mark();

    const lost = await request(app).get(`/workflows/etl/runs/${newRunId(began - 30_000)}`);
    expect([lost.status, lost.body.error.code]).toEqual([410, 'MESH_RUN_LOST']);
    expect(lost.body.error.message).toContain('failed');
    expect(lost.body.error.message).toContain(new Date(began).toISOString());

    // Missing, but accepted after the data set began, or with an id that carries no time: it never existed here.
    for (const runId of [newRunId(began + 5_000), newRunId(began), randomUUID(), 'nightly-1'])
      expect([runId, (await request(app).get(`/workflows/etl/runs/${runId}`)).status]).toEqual([runId, 404]);

    // A run accepted now has a time-ordered id and is read as usual.
    const accepted = await request(app).post('/workflow').send(workflowBody());
    expect(accepted.status).toBe(202);
    expect(runIdTime(accepted.body.runId as string)).toBeGreaterThanOrEqual(began);
    expect((await request(app).get(accepted.body.links.run as string)).status).toBe(200);
  });

  it('when the data set never lost anything (no epoch written yet), a missing run is a 404', async () => {
    const { app } = buildOrchestrator(ctx);
    const res = await request(app).get(`/workflows/etl/runs/${newRunId(Date.now() - 3_600_000)}`);
    expect([res.status, res.body.error.code]).toEqual([404, 'MESH_NOT_FOUND']);
  });
});
