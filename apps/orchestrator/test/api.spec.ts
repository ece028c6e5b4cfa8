import request from 'supertest';
import { createRedisClient, type MeshKeys, type Redis } from '@mesh/mesh-protocol';
import { createRedisTestContext, type RedisTestContext } from '@mesh/testing';
import { buildOrchestrator, queuedSubmissions, workflowBody as body } from './support/orchestrator-app';

const TOKEN = 'a-very-secret-token-0123';

let ctx: RedisTestContext;
let keys: MeshKeys;

beforeEach(() => {
  ctx = createRedisTestContext('orchestrator');
  keys = buildOrchestrator(ctx).keys;
});
afterEach(() => ctx.cleanup());

function build(opts: { token?: string; bodyLimitBytes?: number; redis?: Redis; redisTimeoutMs?: number } = {}) {
  return buildOrchestrator(ctx, opts);
}

const queued = () => queuedSubmissions(ctx, keys);

describe('POST /workflow', () => {
  it('when the body is valid, the answer is 202 only after the submission is on mesh:workflows, with the latest runner hardware relayed', async () => {
    const hw = {
      runnerId: 'gpu-1',
      gpus: [{ index: 0, vendor: 'NVIDIA', model: 'NVIDIA H100 80GB HBM3' }],
      collectedAt: 5,
    };
    await ctx.redis.hset(
      keys.runners,
      'gpu-1',
      JSON.stringify({ runnerId: 'gpu-1', domain: 'gpu', lastSeen: 5, hardware: hw }),
    );
    await ctx.redis.hset(
      keys.runners,
      'old-1',
      JSON.stringify({
        runnerId: 'old-1',
        domain: 'cpu',
        lastSeen: 1,
        hardware: { runnerId: 'old-1', collectedAt: 1 },
      }),
    );
    const { app } = build();
    const res = await request(app).post('/workflow').send(body());
    expect(res.status).toBe(202);
    expect(res.body).toEqual({
      runId: expect.any(String),
      workflow: 'etl',
      status: 'queued',
      links: { run: `/workflows/etl/runs/${res.body.runId}` },
    });
    expect(res.headers['x-powered-by']).toBeUndefined();
    const [submission] = await queued();
    expect(submission).toMatchObject({
      runId: res.body.runId,
      workflow: 'etl',
      tenant: 'acme',
      hardware: hw,
      tasks: [
        { id: 'extract', kind: 'echo', payload: { t: 1 }, dependsOn: [], retries: 0, timeoutMs: 300_000 },
        { id: 'load', kind: 'sleep', dependsOn: ['extract'], retries: 2 },
      ],
    });
    const record = await request(app).get(res.body.links.run);
    // Readable at once, from the run's own state; the domain's hardware is added when a supervisor starts it.
    expect(record.body).toMatchObject({
      runId: res.body.runId,
      status: 'queued',
      hardware: {},
      runners: {},
      counts: { pending: 2, queued: 0, running: 0, succeeded: 0 },
      tasks: [
        { id: 'extract', status: 'pending', attempts: 0 },
        { id: 'load', status: 'pending' },
      ],
    });
  });

  it('when the body has many problems, one 400 lists every one with a stable code and no stack', async () => {
    const { app, registry } = build();
    const res = await request(app)
      .post('/workflow')
      .send({
        workflow: 'etl',
        tenant: '',
        extra: 1,
        tasks: [
          { id: '', kind: 'echo' },
          { id: 'a', kind: 'echo', retries: -1, dependsOn: ['ghost'], color: 'red' },
          { id: 'a', kind: 'echo' },
          { id: 'b', kind: 'echo', dependsOn: ['c'] },
          { id: 'c', kind: 'echo', dependsOn: ['b'] },
        ],
      });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('MESH_SUBMISSION_INVALID');
    expect(res.body.error.details).toEqual(
      expect.arrayContaining([
        '(root): unknown field "extra"',
        '/tenant: must NOT have fewer than 1 characters',
        '/tasks/0/id: must NOT have fewer than 1 characters',
        '/tasks/1: unknown field "color"',
        '/tasks/1/retries: must be >= 0',
        '/tasks: duplicate task id "a"',
        '/tasks: task "a" depends on unknown task "ghost"',
      ]),
    );
    expect(JSON.stringify(res.body)).not.toMatch(/at .*\.ts|stack/);
    expect(await queued()).toEqual([]);
    expect(await registry.metrics()).toContain('orchestrator_submissions_rejected_total{reason="invalid"} 1');
  });

  it('when the graph has a cycle, the 400 names it', async () => {
    const res = await request(build().app)
      .post('/workflow')
      .send(
        body({
          tasks: [
            { id: 'b', kind: 'echo', dependsOn: ['c'] },
            { id: 'c', kind: 'echo', dependsOn: ['b'] },
          ],
        }),
      );
    expect(res.body.error.details).toEqual(['/tasks: dependency cycle: b → c → b']);
  });

  it('when the body is over the limit, 413; a run of 10,000 small tasks fits the default 1 MiB', async () => {
    const small = build({ bodyLimitBytes: 2048 });
    const big = await request(small.app)
      .post('/workflow')
      .send(body({ tasks: Array.from({ length: 200 }, (_, i) => ({ id: `t${i}`, kind: 'echo' })) }));
    expect([big.status, big.body.error.code]).toEqual([413, 'MESH_BODY_TOO_LARGE']);
    expect(await small.registry.metrics()).toContain('orchestrator_submissions_rejected_total{reason="too_large"} 1');

    const tasks = Array.from({ length: 10_000 }, (_, i) => ({ id: `t${i}`, kind: 'echo', payload: { i } }));
    expect(Buffer.byteLength(JSON.stringify(body({ tasks })))).toBeLessThan(1024 * 1024);
    // A 1 MiB run takes a while on a loaded machine: this case is about size, not Redis latency.
    const fits = await request(build().app).post('/workflow').send(body({ tasks }));
    expect(fits.status).toBe(202);
  });

  it('when the body is not JSON, 415', async () => {
    const { app, registry } = build();
    const res = await request(app).post('/workflow').set('content-type', 'text/plain').send('workflow=etl');
    expect([res.status, res.body.error.code]).toEqual([415, 'MESH_UNSUPPORTED_MEDIA_TYPE']);
    expect(await registry.metrics()).toContain(
      'orchestrator_submissions_rejected_total{reason="unsupported_media_type"} 1',
    );
  });

  it('when MESH_API_TOKEN is set, a missing or wrong bearer token gets 401 and the right one gets 202', async () => {
    const { app, registry } = build({ token: TOKEN });
    for (const header of [undefined, 'Bearer wrong', `Bearer ${TOKEN}x`, `Basic ${TOKEN}`]) {
      const req = request(app).post('/workflow').send(body());
      const res = await (header ? req.set('authorization', header) : req);
      expect([header, res.status, res.body.error?.code]).toEqual([header, 401, 'MESH_UNAUTHORIZED']);
      expect(JSON.stringify(res.body)).not.toContain(TOKEN);
    }
    expect((await request(app).post('/workflow').set('authorization', `Bearer ${TOKEN}`).send(body())).status).toBe(
      202,
    );
    expect((await request(app).get('/workflows/etl/runs')).status).toBe(401);
    expect(await registry.metrics()).toContain('orchestrator_submissions_rejected_total{reason="unauthorized"} 4');
    expect(await registry.metrics()).not.toContain(TOKEN);
  });

  it('when the same Idempotency-Key comes again, the same run is returned and nothing is queued twice; with another body, 422', async () => {
    const { app } = build();
    const first = await request(app).post('/workflow').set('idempotency-key', 'order-42').send(body());
    const again = await request(app).post('/workflow').set('idempotency-key', 'order-42').send(body());
    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(again.body.runId).toBe(first.body.runId);
    expect(await queued()).toHaveLength(1);
    const other = await request(app)
      .post('/workflow')
      .set('idempotency-key', 'order-42')
      .send(body({ tasks: [{ id: 'extract', kind: 'echo', payload: { t: 2 } }] }));
    expect([other.status, other.body.error.code]).toEqual([422, 'MESH_IDEMPOTENCY_CONFLICT']);
  });

  it('when Redis is down, the answer is 503 with a JSON error at once, not a hang', async () => {
    // A short disconnect timeout: after refused connections ioredis holds a socket timer that long.
    const down = createRedisClient('redis://127.0.0.1:1', { connectionName: 'down', disconnectTimeoutMs: 10 });
    try {
      const { app, registry } = build({ redis: down });
      const res = await request(app).post('/workflow').send(body());
      expect([res.status, res.body.error.code]).toEqual([503, 'MESH_UNAVAILABLE']);
      expect(await registry.metrics()).toContain('orchestrator_submissions_rejected_total{reason="unavailable"} 1');
      expect((await request(app).get('/readyz')).status).toBe(503);
    } finally {
      down.disconnect();
    }
  });
});

describe('GET /workflows/{id}/runs', () => {
  it('when runs exist, they come newest first, page by cursor, and filter by status', async () => {
    const { app, state } = build();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await request(app).post('/workflow').send(body())).body.runId);
    // A supervisor takes one run.
    await state.start(ids[1] as string, { domain: 'default', route: 'default', replay: false });
    const page1 = await request(app).get('/workflows/etl/runs?limit=2');
    expect(page1.body.runs.map((r: { runId: string }) => r.runId)).toEqual([ids[4], ids[3]]);
    const page2 = await request(app).get(`/workflows/etl/runs?limit=2&cursor=${page1.body.nextCursor}`);
    expect(page2.body.runs.map((r: { runId: string }) => r.runId)).toEqual([ids[2], ids[1]]);
    const page3 = await request(app).get(`/workflows/etl/runs?limit=2&cursor=${page2.body.nextCursor}`);
    expect([page3.body.runs.map((r: { runId: string }) => r.runId), page3.body.nextCursor]).toEqual([[ids[0]], null]);
    const running = await request(app).get('/workflows/etl/runs?status=running');
    expect(running.body.runs.map((r: { runId: string }) => r.runId)).toEqual([ids[1]]);
  });

  it('when the workflow or run is unknown, or the query is bad, the answer is a JSON 404 or 400', async () => {
    const { app } = build();
    const { body: accepted } = await request(app).post('/workflow').send(body());
    expect((await request(app).get('/workflows/nope/runs')).body.error.code).toBe('MESH_NOT_FOUND');
    expect((await request(app).get('/workflows/etl/runs/no-such-run')).status).toBe(404);
    expect((await request(app).get(`/workflows/other/runs/${accepted.runId}`)).status).toBe(404);
    const bad = await request(app).get('/workflows/etl/runs?limit=0&status=done&cursor=zzz');
    expect(bad.status).toBe(400);
    expect(bad.body.error.details).toEqual([
      'limit: must be an integer from 1 to 100',
      'cursor: is not a cursor this API returned',
      'status: must be one of queued, running, succeeded, failed, cancelled',
    ]);
  });

  it('when requests are served, their durations are recorded by route template and status class', async () => {
    const { app, registry } = build();
    await request(app).get('/workflows/nope/runs');
    await request(app).get('/healthz');
    const text = await registry.metrics();
    expect(text).toContain(
      'orchestrator_http_request_duration_seconds_count{route="GET /workflows/{id}/runs",status_class="4xx"} 1',
    );
    expect(text).toContain(
      'orchestrator_http_request_duration_seconds_count{route="GET /healthz",status_class="2xx"} 1',
    );
  });
});
