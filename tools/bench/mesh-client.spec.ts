import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { echoWorkflowBody, MeshClient } from './mesh-client';

/** An orchestrator stand-in: 202 to POST /workflow, then the given records in turn to GET. */
function fakeOrchestrator(
  records: Array<Record<string, unknown>>,
): Promise<{ api: string; server: Server; urls: string[] }> {
  const urls: string[] = [];
  const server = createServer((req, res) => {
    urls.push(req.url ?? '');
    res.setHeader('content-type', 'application/json');
    if (req.method === 'POST') {
      res.statusCode = 202;
      res.end(
        JSON.stringify({
          runId: 'r1',
          workflow: 'bench',
          status: 'queued',
          links: { run: '/workflows/bench/runs/r1' },
        }),
      );
      return;
    }
    res.end(JSON.stringify(records.length > 1 ? records.shift() : records[0]));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ api: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, urls }),
    ),
  );
}

describe('MeshClient', () => {
  let server: Server | undefined;
  afterEach(() => server?.close());

  it('when the run succeeds, it resolves with the record’s submittedAt and finishedAt and counts the GETs', async () => {
    const fake = await fakeOrchestrator([
      { status: 'queued', submittedAt: 1000 },
      { status: 'running', submittedAt: 1000 },
      { status: 'succeeded', submittedAt: 1000, finishedAt: 1250, runners: {} },
    ]);
    server = fake.server;
    const client = new MeshClient(fake.api);
    const run = await client.waitForRun(await client.submit(echoWorkflowBody('bench', 'bench', 2)), {
      pollMs: 10,
      timeoutMs: 5000,
    });
    expect(run).toMatchObject({ submittedAt: 1000, finishedAt: 1250, polls: 3 });
  });

  it('when a succeeded record has no finishedAt, it rejects saying which fields are missing', async () => {
    const fake = await fakeOrchestrator([{ status: 'succeeded', submittedAt: 1000 }]);
    server = fake.server;
    const client = new MeshClient(fake.api);
    await expect(client.waitForRun('/workflows/bench/runs/r1', { pollMs: 10, timeoutMs: 5000 })).rejects.toThrow(
      /needs numeric "submittedAt" and "finishedAt"/,
    );
  });

  it('when the record has no run-level status, it rejects listing the fields it has', async () => {
    const fake = await fakeOrchestrator([{ state: 'done', submittedAt: 1000 }]);
    server = fake.server;
    await expect(
      new MeshClient(fake.api).waitForRun('/workflows/bench/runs/r1', { pollMs: 10, timeoutMs: 5000 }),
    ).rejects.toThrow(/no run-level "status" \(fields: state, submittedAt\)/);
  });

  it('when the run fails, it rejects with the run’s error', async () => {
    const fake = await fakeOrchestrator([{ status: 'failed', submittedAt: 1000, finishedAt: 1001, error: 'boom' }]);
    server = fake.server;
    await expect(
      new MeshClient(fake.api).waitForRun('/workflows/bench/runs/r1', { pollMs: 10, timeoutMs: 5000 }),
    ).rejects.toThrow(/ended failed: "boom"/);
  });

  it('when the run succeeds, waitForSummary reads its summary from GET /runs of its workflow, not its record', async () => {
    const other = { runId: 'r0', status: 'succeeded', submittedAt: 1, finishedAt: 2 };
    const fake = await fakeOrchestrator([
      { runs: [other], nextCursor: null },
      { runs: [{ runId: 'r1', status: 'running', submittedAt: 1000 }, other], nextCursor: null },
      { runs: [{ runId: 'r1', status: 'succeeded', submittedAt: 1000, finishedAt: 1250 }, other], nextCursor: null },
    ]);
    server = fake.server;
    const client = new MeshClient(fake.api);
    const seen: string[] = [];
    const run = await client.waitForSummary(await client.submit(echoWorkflowBody('bench', 'bench', 2)), {
      pollMs: 10,
      timeoutMs: 5000,
      onPoll: (status) => seen.push(status),
    });
    expect(run).toMatchObject({ submittedAt: 1000, finishedAt: 1250, polls: 3 });
    expect(seen).toEqual(['running', 'succeeded']);
    expect(fake.urls.slice(1)).toEqual(Array(3).fill('/runs?workflow=bench&limit=5'));
  });

  it('when the summary says the run failed, waitForSummary rejects with the run’s error', async () => {
    const fake = await fakeOrchestrator([
      { runs: [{ runId: 'r1', status: 'failed', submittedAt: 1000, finishedAt: 1001, error: 'boom' }] },
    ]);
    server = fake.server;
    await expect(
      new MeshClient(fake.api).waitForSummary('/workflows/bench/runs/r1', { pollMs: 10, timeoutMs: 5000 }),
    ).rejects.toThrow(/ended failed: "boom"/);
  });

  it('when the run never shows up in GET /runs, waitForSummary gives up after its timeout saying so', async () => {
    const fake = await fakeOrchestrator([{ runs: [] }]);
    server = fake.server;
    await expect(
      new MeshClient(fake.api).waitForSummary('/workflows/bench/runs/r1', { pollMs: 10, timeoutMs: 50 }),
    ).rejects.toThrow(/not among GET \/runs after 50 ms/);
  });
});
