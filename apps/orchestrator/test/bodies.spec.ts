import { createServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import request from 'supertest';
import type { Redis } from '@mesh/mesh-protocol';
import { createRedisTestContext, type RedisTestContext } from '@mesh/testing';
import { buildOrchestrator, queuedSubmissions, workflowBody } from './support/orchestrator-app';

let ctx: RedisTestContext;

beforeEach(() => {
  ctx = createRedisTestContext('orchestrator-bodies');
});
afterEach(() => ctx.cleanup());

const noStack = (body: unknown) => expect(JSON.stringify(body)).not.toMatch(/\bat .*\.[jt]s|stack|Error:/);

describe('request bodies', () => {
  it('when the body is empty, with or without Content-Type: application/json, the 400 says it is empty (not "set Content-Type")', async () => {
    const { app, registry } = buildOrchestrator(ctx);
    for (const req of [
      () => request(app).post('/workflow').set('content-type', 'application/json'),
      () => request(app).post('/workflow').set('content-type', 'application/json').send(''),
      () => request(app).post('/workflow'),
    ]) {
      const res = await req();
      expect([res.status, res.body.error.code]).toEqual([400, 'MESH_BODY_EMPTY']);
      expect(res.body.error.message).toBe('the request body is empty; send the workflow as a JSON object');
      expect(res.body.error.message).not.toContain('Content-Type');
    }
    expect(await registry.metrics()).toContain('orchestrator_submissions_rejected_total{reason="invalid"} 3');
  });

  it('when the body is empty with no length header at all (as curl -X POST sends it), the 400 says it is empty, not 415', async () => {
    const server = createServer(buildOrchestrator(ctx).app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const reply = await new Promise<string>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () =>
          socket.write(
            'POST /workflow HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n',
          ),
        );
        let data = '';
        socket.on('data', (chunk: Buffer) => (data += chunk.toString('utf8')));
        socket.on('end', () => resolve(data));
        socket.on('error', reject);
      });
      const [head = '', text = ''] = reply.split('\r\n\r\n');
      expect(head.split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request');
      expect(JSON.parse(text)).toEqual({
        error: {
          code: 'MESH_BODY_EMPTY',
          message: 'the request body is empty; send the workflow as a JSON object',
          details: ['(root): missing body'],
        },
      });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('when the body is JSON but not an object, or nests too deeply, a 400 lists the problems without a stack', async () => {
    const { app, keys } = buildOrchestrator(ctx);
    for (const [text, problem] of [
      ['null', '(root): must be object'],
      ['"etl"', '(root): must be object'],
      ['[]', '(root): must be object'],
      [`${'['.repeat(100_000)}${']'.repeat(100_000)}`, '(root): nests deeper than 64 levels'],
      [
        JSON.stringify(
          workflowBody({
            tasks: [{ id: 'a', kind: 'echo', payload: JSON.parse(`${'['.repeat(70)}${']'.repeat(70)}`) }],
          }),
        ),
        '(root): nests deeper than 64 levels',
      ],
    ] as const) {
      const res = await request(app).post('/workflow').set('content-type', 'application/json').send(text);
      expect([res.status, res.body.error.code]).toEqual([400, 'MESH_SUBMISSION_INVALID']);
      expect(res.body.error.details).toContain(problem);
      noStack(res.body);
    }
    expect(await queuedSubmissions(ctx, keys)).toEqual([]);
  });

  it('when 20,000 tasks are each invalid, the 400 lists the first 100 problems and how many more there are', async () => {
    const { app } = buildOrchestrator(ctx);
    const tasks = Array.from({ length: 20_000 }, () => ({ id: '', kind: 'echo' }));
    const res = await request(app).post('/workflow').send(workflowBody({ tasks }));
    expect(res.status).toBe(400);
    expect(res.body.error.details).toHaveLength(101);
    expect(res.body.error.details[100]).toMatch(/^… and \d+ more problems$/);
  });

  it('when a star of 18,000 tasks (one root, all others depending on it) is submitted, it is accepted and readable', async () => {
    const { app } = buildOrchestrator(ctx);
    const tasks = Array.from({ length: 18_000 }, (_, i) =>
      i === 0 ? { id: 'r', kind: 'echo' } : { id: `t${i}`, kind: 'echo', dependsOn: ['r'] },
    );
    const res = await request(app).post('/workflow').send(workflowBody({ tasks }));
    expect(res.status).toBe(202);
    const run = await request(app).get(res.body.links.run);
    expect([run.body.tasks.length, run.body.counts.pending]).toEqual([18_000, 18_000]);
  });
});

describe('listing runs', () => {
  it("when runs are listed, only each run's meta hash is read (never its tasks), and each entry is a summary", async () => {
    const { app } = buildOrchestrator(ctx);
    const tasks = Array.from({ length: 500 }, (_, i) => ({ id: `t${i}`, kind: 'echo', payload: { i } }));
    for (let i = 0; i < 3; i++)
      expect((await request(app).post('/workflow').send(workflowBody({ tasks }))).status).toBe(202);

    const keysRead: string[] = [];
    const redis = ctx.redis as Redis & { sendCommand: Redis['sendCommand'] };
    const send = redis.sendCommand.bind(redis);
    const spy = jest.spyOn(redis, 'sendCommand').mockImplementation((command, ...rest) => {
      const c = command as unknown as { name: string; args: unknown[] };
      if (/^(hgetall|hget|hmget|get|hscan|hvals)$/i.test(c.name)) keysRead.push(String(c.args[0]));
      return send(command, ...rest);
    });
    let res;
    try {
      res = await request(app).get('/workflows/etl/runs?limit=20');
    } finally {
      spy.mockRestore();
    }
    expect(res.status).toBe(200);
    expect(res.body.runs).toHaveLength(3);
    for (const run of res.body.runs) {
      expect(Object.keys(run)).not.toEqual(expect.arrayContaining(['tasks']));
      expect(run).not.toHaveProperty('hardware');
      expect(run).not.toHaveProperty('runners');
      expect(run.counts.pending).toBe(500);
    }
    expect(keysRead).toHaveLength(3);
    for (const key of keysRead) expect(key).toMatch(/:meta$/);
  });
});
