import { createConnection, createServer, type Server, type Socket } from 'node:net';
import Redis from 'ioredis';
import request from 'supertest';
import { createRedisClient, type MeshKeys } from '@mesh/mesh-protocol';
import {
  AclUser,
  closeClient,
  createRedisTestContext,
  eventually,
  TEST_REDIS_URL,
  type RedisTestContext,
} from '@mesh/testing';
import { IdempotencyKeys } from '../src/submissions/idempotency';
import { buildOrchestrator, queuedSubmissions, workflowBody } from './support/orchestrator-app';

/**
 * A TCP proxy in front of the test's Redis. Once armed, the first client write that contains XADD reaches
 * Redis but its replies are held back; `drop()` then closes the client's connection, so the client never
 * learns that Redis applied the write. Later connections pass through.
 */
class ReplyDroppingProxy {
  private server: Server | undefined;
  private readonly sockets: Socket[] = [];
  private armed = false;
  private holding: Socket | undefined;

  async start(): Promise<string> {
    const target = new URL(TEST_REDIS_URL);
    this.server = createServer((client) => {
      const upstream = createConnection(Number(target.port || 6379), target.hostname);
      this.sockets.push(client, upstream);
      let hold = false;
      client.on('data', (chunk: Buffer) => {
        if (this.armed && /\r\nxadd\r\n/i.test(chunk.toString('latin1'))) {
          this.armed = false;
          hold = true;
          this.holding = client;
        }
        upstream.write(chunk);
      });
      upstream.on('data', (chunk: Buffer) => {
        if (!hold) client.write(chunk);
      });
      for (const s of [client, upstream]) {
        s.on('error', () => undefined);
        s.on('close', () => {
          client.destroy();
          upstream.destroy();
        });
      }
    });
    const server = this.server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = new URL(TEST_REDIS_URL);
    url.host = `127.0.0.1:${(server.address() as { port: number }).port}`;
    return url.href;
  }

  arm(): void {
    this.armed = true;
  }

  get held(): boolean {
    return this.holding !== undefined;
  }

  drop(): void {
    this.holding?.destroy();
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    if (server) await new Promise((resolve) => server.close(resolve));
  }
}

let ctx: RedisTestContext;
let acl: AclUser | undefined;
let proxy: ReplyDroppingProxy | undefined;
let client: Redis | undefined;

beforeEach(() => {
  ctx = createRedisTestContext('orchestrator-replay');
});
afterEach(async () => {
  if (client) await closeClient(client);
  await proxy?.stop();
  await acl?.remove();
  client = undefined;
  proxy = undefined;
  acl = undefined;
  await ctx.cleanup();
});

/**
 * The orchestrator's own Redis connection, made as main.ts makes it; resolves once it is ready. With
 * `offlineQueue`, commands sent while it reconnects wait for it, so a write made right after a dropped
 * connection is sure to reach Redis (without, it would usually fail at once and hide the write).
 */
async function connect(url: string, offlineQueue = false): Promise<Redis> {
  const made = createRedisClient(url, {
    connectionName: `${ctx.prefix}:orchestrator`,
    enableOfflineQueue: offlineQueue,
  });
  client = made;
  await eventually(() => (made.status === 'ready' ? true : undefined));
  return made;
}

/** Sets the key's entry back to `pending`, as it stays when the first request's markQueued failed. */
async function leavePending(keys: MeshKeys, clientKey: string): Promise<string> {
  const key = new IdempotencyKeys(ctx.redis, keys, 60_000).keyOf('acme', 'etl', clientKey);
  const [runId, digest, state] = ((await ctx.redis.get(key)) ?? '').split(' ');
  expect(state).toBe('queued');
  expect(await ctx.redis.set(key, `${runId} ${digest} pending`, 'KEEPTTL', 'XX')).toBe('OK');
  return runId as string;
}

describe('Idempotency-Key replays of an accepted run', () => {
  it('when a replay of a still-pending key fails to queue the submission, the run accepted earlier stays, and GET answers it', async () => {
    acl = new AclUser();
    const { app, keys } = buildOrchestrator(ctx, { redis: await connect(await acl.create(ctx.prefix)) });
    const first = await request(app).post('/workflow').set('idempotency-key', 'order-9').send(workflowBody());
    expect(first.status).toBe(202);
    expect(await leavePending(keys, 'order-9')).toBe(first.body.runId);

    await acl.refuse('xadd');
    const replay = await request(app).post('/workflow').set('idempotency-key', 'order-9').send(workflowBody());
    expect(replay.status).toBe(503);
    await acl.allow('xadd');

    const run = await request(app).get(first.body.links.run);
    expect([run.status, run.body.runId, run.body.status]).toEqual([200, first.body.runId, 'queued']);
    const list = await request(app).get('/workflows/etl/runs');
    expect(list.body.runs.map((r: { runId: string }) => r.runId)).toEqual([first.body.runId]);
    // A later retry answers with the same run; a second copy of the submission is harmless.
    const retry = await request(app).post('/workflow').set('idempotency-key', 'order-9').send(workflowBody());
    expect([retry.status, retry.body.runId]).toEqual([202, first.body.runId]);
    const queued = await queuedSubmissions(ctx, keys);
    expect(queued.map((s) => s.runId)).toEqual([first.body.runId, first.body.runId]);
    // The copy carries the run's own submission time, so a supervisor indexes it where it already is.
    expect(queued[1]?.submittedAt).toBe(queued[0]?.submittedAt);
  });

  it('when the connection drops after Redis applied the XADD, the run is kept: it is queued, and GET answers it', async () => {
    proxy = new ReplyDroppingProxy();
    const { app, keys } = buildOrchestrator(ctx, { redis: await connect(await proxy.start(), true) });
    proxy.arm();
    const post = request(app)
      .post('/workflow')
      .set('idempotency-key', 'order-10')
      .send(workflowBody())
      .then((r) => r);
    await eventually(async () => (proxy?.held && (await ctx.redis.xlen(keys.workflows)) === 1 ? true : undefined));
    proxy.drop();
    expect((await post).status).toBe(503);

    const [queued] = await queuedSubmissions(ctx, keys);
    const runId = queued?.runId as string;
    expect(await ctx.redis.exists(keys.run(runId, 'meta'))).toBe(1);
    const run = await eventually(async () => {
      const res = await request(app).get(`/workflows/etl/runs/${runId}`);
      return res.status === 503 ? undefined : res;
    });
    expect([run.status, run.body.runId]).toEqual([200, runId]);
    const retry = await request(app).post('/workflow').set('idempotency-key', 'order-10').send(workflowBody());
    expect([retry.status, retry.body.runId]).toEqual([202, runId]);
  });
});
