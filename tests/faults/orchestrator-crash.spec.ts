import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { useMesh } from '@mesh/mesh-harness';
import { eventually, TEST_REDIS_URL } from '@mesh/testing';

/**
 * A TCP proxy in front of the test's Redis that forwards everything until the client has sent a command
 * matching `stopAfter`, then holds whatever the client sends next (Redis never sees it): the moment to
 * kill the client is then exactly between two of its writes.
 */
class FreezingProxy {
  private server: Server | undefined;
  private readonly sockets: Socket[] = [];
  private frozen = false;
  /** Bytes the client sent that were held back. */
  held = 0;

  constructor(private readonly stopAfter: (chunk: string) => boolean) {}

  async start(): Promise<string> {
    const target = new URL(TEST_REDIS_URL);
    this.server = createServer((client) => {
      const upstream = createConnection(Number(target.port || 6379), target.hostname);
      this.sockets.push(client, upstream);
      client.on('data', (chunk: Buffer) => {
        if (this.frozen) {
          this.held += chunk.length;
          return;
        }
        upstream.write(chunk);
        if (this.stopAfter(chunk.toString('latin1'))) this.frozen = true;
      });
      upstream.on('data', (chunk: Buffer) => {
        client.write(chunk);
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
    return `redis://127.0.0.1:${(server.address() as { port: number }).port}`;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    if (server) await new Promise((resolve) => server.close(resolve));
  }
}

const TOKEN = 'crash-test-admin-token-0123';
const headers = { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, 'idempotency-key': 'order-1' };
const body = JSON.stringify({
  workflow: 'crash',
  tenant: 'acme',
  tasks: [
    { id: 'a', kind: 'echo', payload: { n: 1 } },
    { id: 'b', kind: 'echo', dependsOn: ['a'] },
  ],
});

/** Waits until the orchestrator's Redis connection is up (/readyz 200). */
const ready = (port: number) =>
  eventually(async () => ((await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200 ? true : undefined));

describe('the only orchestrator killed mid-POST', () => {
  const t = useMesh('orchestrator-crash');
  let proxy: FreezingProxy | undefined;
  afterEach(() => proxy?.stop());

  it('when it is SIGKILLed after claiming the Idempotency-Key and before writing the run, a retried POST with the key gets that same run, which a GET answers and which runs to the end', async () => {
    const { ctx, mesh } = t;
    // Frozen right after the key is claimed (SET … NX): the run itself never reaches Redis.
    proxy = new FreezingProxy((chunk) => chunk.includes(':idempotency:') && chunk.includes('\r\nNX\r\n'));
    const viaProxy = await proxy.start();
    const first = await mesh.orchestrator('o1', {
      REDIS_URL: viaProxy,
      MESH_API_TOKEN: TOKEN,
      ORCHESTRATOR_REDIS_TIMEOUT_MS: '60000',
    });
    await ready(first.port);
    const inFlight = fetch(`http://127.0.0.1:${first.port}/workflow`, { method: 'POST', headers, body }).catch(
      (err: unknown) => err,
    );
    await eventually(() => (proxy && proxy.held > 0 ? true : undefined));
    // A whole SCAN (until the cursor is back at 0): one iteration of a shared Redis may miss the key.
    const claimed: string[] = [];
    let scan = '0';
    do {
      const [next, found] = await ctx.redis.scan(scan, 'MATCH', `${ctx.prefix}:idempotency:*`, 'COUNT', 1000);
      claimed.push(...found);
      scan = next;
    } while (scan !== '0');
    expect(claimed).toHaveLength(1);
    const claimedRun = ((await ctx.redis.get(claimed[0] as string)) ?? '').split(' ')[0] as string;
    expect(await ctx.redis.exists(mesh.keys.run(claimedRun, 'meta'))).toBe(0);
    expect(await ctx.redis.xlen(mesh.keys.workflows)).toBe(0);

    expect((await first.stop('SIGKILL')) ?? null).toBeNull();
    expect(await inFlight).toMatchObject({ message: 'fetch failed' }); // the connection dropped, no answer

    const second = await mesh.orchestrator('o2', { MESH_API_TOKEN: TOKEN });
    await ready(second.port);
    const retry = await fetch(`http://127.0.0.1:${second.port}/workflow`, { method: 'POST', headers, body });
    const accepted = (await retry.json()) as { runId: string; links: { run: string } };
    expect([retry.status, accepted.runId]).toEqual([202, claimedRun]);
    const get = await fetch(`http://127.0.0.1:${second.port}${accepted.links.run}`, { headers });
    expect([get.status, ((await get.json()) as { runId: string }).runId]).toEqual([200, claimedRun]);

    // A real run: a supervisor and a runner take it to the end, once.
    await mesh.supervisor('s1');
    await mesh.runner('r1', 'default');
    expect((await mesh.finished(claimedRun)).type).toBe('run-succeeded');
    const again = await fetch(`http://127.0.0.1:${second.port}/workflow`, { method: 'POST', headers, body });
    expect([again.status, ((await again.json()) as { runId: string }).runId]).toEqual([202, claimedRun]);
    expect(await ctx.redis.xlen(mesh.keys.workflows)).toBe(1);
    const record = await fetch(`http://127.0.0.1:${second.port}${accepted.links.run}`, { headers });
    expect(((await record.json()) as { status: string }).status).toBe('succeeded');
  });
});
