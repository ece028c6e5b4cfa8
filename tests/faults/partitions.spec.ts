import { MeshClient } from '@mesh/client';
import { readAcks, useMesh } from '@mesh/mesh-harness';
import { decodeEntry } from '@mesh/mesh-protocol';
import { runServiceToExit } from '@mesh/testing';

/*
 * A mesh whose shared streams and schedule are spread over partitions (MESH_PARTITIONS), on the shared Redis:
 * the same keys a Redis Cluster spreads over its masters (tests/faults/redis-cluster.spec.ts runs one).
 */

const PARTITIONS = 4;
const t = useMesh('partitions', { partitions: PARTITIONS });

/** A diamond: a fans out to b and c, which d joins; c fails once and is retried. */
const diamond = (i: number) => ({
  workflow: 'diamond',
  tenant: `tenant-${i % 3}`,
  tasks: [
    { id: 'a', kind: 'echo', payload: { i } },
    { id: 'b', kind: 'echo', dependsOn: ['a'] },
    { id: 'c', kind: 'fail', payload: { attempts: 1 }, retries: 1, dependsOn: ['a'] },
    { id: 'd', kind: 'echo', dependsOn: ['b', 'c'] },
  ],
});

describe('a mesh on several partitions', () => {
  it('when runs are submitted, each goes to its own partition, every run ends succeeded, and its events are followed live and listed', async () => {
    const { ctx, mesh } = t;
    const orchestrator = await mesh.orchestrator('o1');
    await mesh.supervisor('s1', { SUPERVISOR_TASK_RETRY_BASE_MS: '10' });
    await mesh.runner('r1', 'default', { RUNNER_CONCURRENCY: '8' });
    const client = new MeshClient({ baseUrl: `http://127.0.0.1:${orchestrator.port}` });

    const first = await client.submit(diamond(0));
    const followed: string[] = [];
    const following = (async () => {
      for await (const e of client.follow('diamond', first.runId)) {
        followed.push(e.type);
        if (e.type === 'end') return;
      }
    })();
    following.catch(() => undefined); // awaited below; a failure shows there
    const rest = await Promise.all(Array.from({ length: 11 }, (_, i) => client.submit(diamond(i + 1))));
    const runIds = [first.runId, ...rest.map((a) => a.runId)];

    const ends = await mesh.allEnded(runIds);
    expect(ends.map((e) => e.type)).toEqual(runIds.map(() => 'run-succeeded'));
    await following;
    expect(followed[0]).toBe('snapshot');
    expect(followed.at(-1)).toBe('end');

    // Each submission is on its run's partition's stream, and the runs used more than one partition.
    const used = new Set<number>();
    for (const runId of runIds) {
      const entries = await ctx.redis.xrange(mesh.keys.ofRun(runId).workflows, '-', '+');
      const runs = entries.map(([, fields]) => {
        const d = decodeEntry('submission', fields);
        return d.ok ? d.message.runId : undefined;
      });
      expect(runs).toContain(runId);
      used.add(mesh.keys.partitionOf(runId));
    }
    expect(used.size).toBeGreaterThan(1);
    // Reports and feed entries too: each partition's streams name only that partition's runs.
    for (const p of mesh.keys.partitionKeys) {
      const acked = (await readAcks(ctx.redis, p.acks)).map((a) => a.runId);
      const fed = (await ctx.redis.xrange(p.runEvents, '-', '+')).map(([, fields]) => {
        const d = decodeEntry('event', fields);
        return d.ok ? d.message.runId : 'undecodable';
      });
      expect([...new Set([...acked, ...fed])].filter((runId) => mesh.keys.partitionOf(runId) !== p.index)).toEqual([]);
    }
    const everyAck = (await Promise.all(mesh.keys.partitionKeys.map((p) => readAcks(ctx.redis, p.acks)))).flat();
    expect(new Set(everyAck.map((a) => a.runId))).toEqual(new Set(runIds));
    expect(await ctx.redis.get(mesh.keys.partitionCount)).toBe(String(PARTITIONS));

    // Records and lists read across partitions.
    const record = await client.get('diamond', first.runId);
    expect(record.tasks.map((task) => [task.id, task.status, task.attempts])).toEqual([
      ['a', 'succeeded', 1],
      ['b', 'succeeded', 1],
      ['c', 'succeeded', 2],
      ['d', 'succeeded', 1],
    ]);
    const listed = await client.list({ workflow: 'diamond', limit: 100 });
    expect(listed.runs.map((r) => r.runId).sort()).toEqual([...runIds].sort());
  });

  it('when a service starts with another number of partitions than the mesh records, it refuses in one line naming MESH_PARTITIONS and exits 2', async () => {
    const { ctx } = t;
    await ctx.redis.set(`${ctx.prefix}:partitions`, String(PARTITIONS));
    const { code, stderr } = await runServiceToExit('supervisor', {
      REDIS_URL: ctx.url,
      MESH_STREAM_PREFIX: ctx.prefix,
      MESH_PARTITIONS: '2',
      SUPERVISOR_METRICS_LISTEN: '127.0.0.1:0',
    });
    expect(code).toBe(2);
    expect(stderr.trim().split('\n')).toEqual([
      `supervisor: MESH_PARTITIONS: is 2, but the mesh in this Redis uses ${PARTITIONS} (key ${ctx.prefix}:partitions); every service of a mesh must use the same number`,
    ]);
  });

  it('when the Redis holds the streams of a mesh that ran on one partition and no number is recorded, a service with more refuses to start', async () => {
    const { ctx, mesh } = t;
    // A submission left by a mesh from before the number was recorded, still unread.
    await ctx.redis.xadd(mesh.keys.unpartitioned.workflows, '*', 'v', '1', 'submission', '{}');
    const { code, stderr } = await runServiceToExit('orchestrator', {
      REDIS_URL: ctx.url,
      MESH_STREAM_PREFIX: ctx.prefix,
      MESH_PARTITIONS: String(PARTITIONS),
      ORCHESTRATOR_LISTEN: '127.0.0.1:0',
    });
    expect(code).toBe(2);
    expect(stderr).toContain(`orchestrator: MESH_PARTITIONS: is ${PARTITIONS}, but the mesh in this Redis uses 1`);
    expect(await ctx.redis.get(mesh.keys.partitionCount)).toBe('1');
  });
});
