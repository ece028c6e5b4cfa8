import { createServer, type AddressInfo, type Socket } from 'node:net';
import request from 'supertest';
import { createRedisClient } from '@mesh/mesh-protocol';
import { createRedisTestContext, type RedisTestContext } from '@mesh/testing';
import { buildOrchestrator, workflowBody } from './support/orchestrator-app';

let ctx: RedisTestContext;

beforeEach(() => {
  ctx = createRedisTestContext('orchestrator-down');
});
afterEach(() => ctx.cleanup());

describe('when Redis is unavailable', () => {
  it('when Redis is down, every API route answers a JSON 503 MESH_UNAVAILABLE with Retry-After, and /healthz stays 200', async () => {
    // A short disconnect timeout: after refused connections ioredis holds a socket timer that long.
    const down = createRedisClient('redis://127.0.0.1:1', { connectionName: 'down', disconnectTimeoutMs: 10 });
    try {
      const { app } = buildOrchestrator(ctx, { redis: down });
      for (const req of [
        () => request(app).post('/workflow').send(workflowBody()),
        () => request(app).post('/workflow').set('idempotency-key', 'k').send(workflowBody()),
        () => request(app).get('/workflows/etl/runs'),
        () => request(app).get('/workflows/etl/runs?status=running&limit=5'),
        () => request(app).get('/workflows/etl/runs/00000000-0000-4000-8000-000000000000'),
      ]) {
        const res = await req();
        expect([res.status, res.body.error?.code, res.headers['retry-after']]).toEqual([503, 'MESH_UNAVAILABLE', '1']);
        expect(JSON.stringify(res.body)).not.toMatch(/ECONNREFUSED|at .*\.[jt]s|stack/);
      }
      expect((await request(app).get('/healthz')).status).toBe(200);
      expect((await request(app).get('/readyz')).status).toBe(503);
    } finally {
      down.disconnect();
    }
  });

  it('when Redis accepts the connection but never answers, a read answers 503 within the Redis timeout, not a hang', async () => {
    const sockets: Socket[] = [];
    const server = createServer((socket) => sockets.push(socket)); // accepts, reads, never answers
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const silent = createRedisClient(`redis://127.0.0.1:${port}`, {
      connectionName: 'silent',
      enableOfflineQueue: true,
      disconnectTimeoutMs: 10,
    });
    try {
      const { app } = buildOrchestrator(ctx, { redis: silent, redisTimeoutMs: 300 });
      const res = await request(app).get('/workflows/etl/runs');
      expect([res.status, res.body.error.code]).toEqual([503, 'MESH_UNAVAILABLE']);
      expect(res.body.error.message).toBe('Redis did not answer within 300 ms; retry later');
    } finally {
      silent.disconnect();
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
