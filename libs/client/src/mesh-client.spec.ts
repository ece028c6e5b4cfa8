import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MeshApiError, MeshNetworkError } from './errors';
import { MeshClient } from './mesh-client';
import type { FollowEvent } from './types';

/**
 * The client's own behaviour (headers, errors, reconnection) against a small local HTTP server whose answers
 * each test scripts; test/ runs it against the real orchestrator.
 */
let server: Server;
let baseUrl: string;
let handler: (req: IncomingMessage, res: ServerResponse) => void;
const seen: IncomingMessage[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req);
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
beforeEach(() => {
  seen.length = 0;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const TOKEN = 'secret-token-0123456789abcdef';
const json = (res: ServerResponse, status: number, body: unknown) =>
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
const record = (status: string) => ({ runId: 'r1', workflow: 'w', status, tasks: [] });

async function collect(events: AsyncIterable<FollowEvent>): Promise<FollowEvent[]> {
  const out: FollowEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
}

describe('MeshClient requests', () => {
  it('when it submits, it sends the JSON body, the bearer token and the idempotency key, and returns the answer', async () => {
    let body = '';
    handler = (req, res) => {
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => json(res, 202, { runId: 'r1', workflow: 'w', status: 'queued', links: { run: '/x' } }));
    };
    const client = new MeshClient({ baseUrl: `${baseUrl}/`, token: TOKEN });
    const request = { workflow: 'w', tenant: 't', tasks: [{ id: 'a', kind: 'echo' }] };
    await expect(client.submit(request, { idempotencyKey: 'k-1' })).resolves.toMatchObject({ runId: 'r1' });
    expect(JSON.parse(body)).toEqual(request);
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/workflow' });
    expect(seen[0]?.headers).toMatchObject({
      authorization: `Bearer ${TOKEN}`,
      'idempotency-key': 'k-1',
      'content-type': 'application/json',
    });
  });

  it('when it lists, the query carries only the given filters, a Date as epoch ms, names and ids encoded', async () => {
    handler = (_req, res) => json(res, 200, { runs: [], nextCursor: null });
    const client = new MeshClient({ baseUrl });
    await client.list({ tenant: 'acme', status: 'failed', since: new Date(1795000000000), limit: 5 });
    await client.listWorkflow('a b', { cursor: 'c/1' });
    await expect(client.get('w', 'r/1')).resolves.toEqual({ runs: [], nextCursor: null });
    expect(seen.map((r) => r.url)).toEqual([
      '/runs?tenant=acme&status=failed&since=1795000000000&limit=5',
      '/workflows/a%20b/runs?cursor=c%2F1',
      '/workflows/w/runs/r%2F1',
    ]);
    expect(seen[0]?.headers.authorization).toBeUndefined();
  });

  it('when the server answers an error, it throws MeshApiError with its status, code, message, details and Retry-After', async () => {
    handler = (_req, res) =>
      res
        .writeHead(429, { 'content-type': 'application/json', 'retry-after': '3' })
        .end(
          JSON.stringify({ error: { code: 'MESH_TOO_MANY_QUEUED_RUNS', message: 'too many', details: ['a', 'b'] } }),
        );
    const err = await new MeshClient({ baseUrl }).cancel('w', 'r1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MeshApiError);
    expect(err).toMatchObject({
      status: 429,
      code: 'MESH_TOO_MANY_QUEUED_RUNS',
      message: 'too many',
      details: ['a', 'b'],
      retryAfterS: 3,
    });
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/workflows/w/runs/r1/cancel' });
  });

  it('when an error answer is not the JSON error (a proxy page), the error says its status', async () => {
    handler = (_req, res) => res.writeHead(502, 'Bad Gateway', { 'content-type': 'text/html' }).end('<html>');
    await expect(new MeshClient({ baseUrl }).rerun('w', 'r1')).rejects.toMatchObject({
      status: 502,
      code: 'HTTP_502',
      message: 'the server answered 502 Bad Gateway',
    });
  });

  it('when a success answer is not JSON, it throws MESH_BAD_RESPONSE', async () => {
    handler = (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>');
    await expect(new MeshClient({ baseUrl }).get('w', 'r1')).rejects.toMatchObject({ code: 'MESH_BAD_RESPONSE' });
  });

  it('when nothing listens at the URL, it throws MeshNetworkError naming the URL and the reason, never the token', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const err = await new MeshClient({ baseUrl: `http://127.0.0.1:${port}`, token: TOKEN })
      .list()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MeshNetworkError);
    expect((err as Error).message).toBe(
      `cannot reach http://127.0.0.1:${port}/runs: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
    expect(JSON.stringify(err)).not.toContain(TOKEN);
    expect(String((err as Error).stack)).not.toContain(TOKEN);
  });

  it('when the base URL is not an http URL, the constructor says so', () => {
    expect(() => new MeshClient({ baseUrl: 'localhost:9097' })).toThrow(
      'baseUrl: "localhost:9097" is not an http(s) URL',
    );
    expect(() => new MeshClient({ baseUrl: 'nope' })).toThrow('is not an absolute URL');
  });
});

describe('MeshClient.follow', () => {
  const sse = (res: ServerResponse) => res.writeHead(200, { 'content-type': 'text/event-stream' });

  it('when the stream drops before end, it reconnects with Last-Event-ID, goes on after the last change, and stops after end', async () => {
    let connections = 0;
    handler = (_req, res) => {
      connections++;
      sse(res);
      if (connections === 1) {
        res.write(`event: snapshot\ndata: ${JSON.stringify(record('running'))}\n\n`);
        res.write('event: change\nid: 5-0\ndata: {"type":"task-started"}\n\n');
        // Half an event, then the connection breaks.
        res.write('event: change\nid: 6-0\ndata: {"ty');
        setImmediate(() => res.socket?.destroy());
        return;
      }
      res.write(`: ping\n\nevent: snapshot\ndata: ${JSON.stringify(record('running'))}\n\n`);
      res.write('event: change\nid: 6-0\ndata: {"type":"task-succeeded"}\n\n');
      res.end(`event: end\ndata: ${JSON.stringify(record('succeeded'))}\n\n`);
    };
    const client = new MeshClient({ baseUrl, token: TOKEN, reconnectDelayMs: 1 });
    const events = await collect(client.follow('w', 'r1'));
    expect(events.map((e) => (e.type === 'change' ? `change ${e.id} ${e.event.type}` : e.type))).toEqual([
      'snapshot',
      'change 5-0 task-started',
      'snapshot',
      'change 6-0 task-succeeded',
      'end',
    ]);
    expect(connections).toBe(2);
    expect(seen[0]?.headers).toMatchObject({ accept: 'text/event-stream', authorization: `Bearer ${TOKEN}` });
    expect(seen.map((r) => r.headers['last-event-id'])).toEqual([undefined, '5-0']);
    expect(seen[0]?.url).toBe('/workflows/w/runs/r1/events');
  });

  it('when given a lastEventId, the first connection resumes after it', async () => {
    handler = (_req, res) => {
      sse(res);
      res.end(`event: end\ndata: ${JSON.stringify(record('failed'))}\n\n`);
    };
    const events = await collect(new MeshClient({ baseUrl }).follow('w', 'r1', { lastEventId: '9-1' }));
    expect(events).toEqual([{ type: 'end', record: record('failed') }]);
    expect(seen[0]?.headers['last-event-id']).toBe('9-1');
  });

  it('when the run is not found, it throws the API error at once, without reconnecting', async () => {
    handler = (_req, res) => json(res, 404, { error: { code: 'MESH_NOT_FOUND', message: 'no run "r1"' } });
    await expect(collect(new MeshClient({ baseUrl, reconnectDelayMs: 1 }).follow('w', 'r1'))).rejects.toMatchObject({
      status: 404,
      code: 'MESH_NOT_FOUND',
    });
    expect(seen).toHaveLength(1);
  });

  it('when every reconnection fails, it gives up after maxReconnects with the network error', async () => {
    handler = (_req, res) => {
      sse(res);
      res.end(': nothing\n\n');
    };
    const err = await collect(
      new MeshClient({ baseUrl, reconnectDelayMs: 1, maxReconnects: 2 }).follow('w', 'r1'),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MeshNetworkError);
    expect((err as Error).message).toBe(
      `cannot reach ${baseUrl}/workflows/w/runs/r1/events: the event stream closed before the run ended`,
    );
    expect(seen).toHaveLength(3);
  });

  it('when its signal aborts, the iteration ends quietly and the connection closes', async () => {
    let closed!: () => void;
    const connectionClosed = new Promise<void>((resolve) => (closed = resolve));
    handler = (req, res) => {
      sse(res);
      res.write(`event: snapshot\ndata: ${JSON.stringify(record('running'))}\n\n`);
      req.socket.on('close', closed);
    };
    const abort = new AbortController();
    const events: FollowEvent[] = [];
    for await (const e of new MeshClient({ baseUrl }).follow('w', 'r1', { signal: abort.signal })) {
      events.push(e);
      abort.abort();
    }
    expect(events.map((e) => e.type)).toEqual(['snapshot']);
    await connectionClosed;
  });
});
