import { encodeEntry, decodeEntry, GROUPS, type Assignment } from '@mesh/mesh-protocol';
import { useMesh } from '@mesh/mesh-harness';

const t = useMesh('compat');

describe('wire protocol v1 compatibility', () => {
  it('when a worker written from docs/protocol reads one assignment at a time, acks each alone and never renews a lease, tasks shorter than leaseMs run (queue deadlines too) and the record shows its outputs', async () => {
    await t.mesh.supervisor('sup-1');
    const now = Date.now();
    const registration = {
      runnerId: 'v1-worker',
      domain: 'default',
      startedAt: now,
      lastSeen: now,
      leaseMs: 600_000,
      hardware: null,
    };
    await t.ctx.redis.hset(t.mesh.keys.runners, 'v1-worker', JSON.stringify(registration));
    const runId = await t.mesh.submit('compat', 'acme', [
      // Its queue deadline passes while the worker executes it: taken off the stream, it is not failed.
      { id: 'a', kind: 'echo', payload: { n: 1 }, queueTimeoutMs: 1000 },
      { id: 'b', kind: 'echo', payload: { n: 2 }, dependsOn: ['a'] },
    ]);

    // The worker of docs/protocol/README.md: XREADGROUP one entry, do the work, XADD one ack, XACK.
    const worker = t.ctx.connect('v1-worker');
    const stream = t.mesh.keys.assignments('default');
    await worker.xgroup('CREATE', stream, GROUPS.runners, '0', 'MKSTREAM').catch(() => undefined);
    const seen: Assignment[] = [];
    while (seen.length < 2) {
      const reply = (await worker.call(
        'XREADGROUP',
        'GROUP',
        GROUPS.runners,
        'v1-worker',
        'COUNT',
        1,
        'BLOCK',
        200,
        'STREAMS',
        stream,
        '>',
      )) as Array<[string, Array<[string, string[]]>]> | null;
      const entry = reply?.[0]?.[1]?.[0];
      if (!entry) continue;
      const decoded = decodeEntry('assignment', entry[1]);
      if (!decoded.ok) throw new Error(decoded.detail);
      const a = decoded.message;
      seen.push(a);
      const startedAt = Date.now();
      // The work: well within the lease, and for `a` well past its queue deadline.
      await new Promise((r) => setTimeout(r, a.taskId === 'a' ? 2500 : 100));
      const ack = {
        assignmentId: a.assignmentId,
        runId: a.runId,
        workflow: a.workflow,
        taskId: a.taskId,
        attempt: a.attempt,
        runnerId: 'v1-worker',
        success: true,
        latencyMs: Date.now() - startedAt,
        startedAt,
        finishedAt: Date.now(),
        output: { echoed: a.payload, inputs: a.inputs ?? null },
      };
      await worker.xadd(t.mesh.keys.acks, '*', ...encodeEntry('ack', ack));
      await worker.xack(stream, GROUPS.runners, entry[0]);
    }

    expect((await t.mesh.finished(runId)).type).toBe('run-succeeded');
    expect(seen.map((a) => [a.taskId, a.leaseMs])).toEqual([
      ['a', 3000],
      ['b', 3000],
    ]);
    const record = await t.mesh.state().record(runId);
    expect(record?.tasks.map((t) => [t.id, t.status, t.runnerId, t.output])).toEqual([
      ['a', 'succeeded', 'v1-worker', { echoed: { n: 1 }, inputs: null }],
      ['b', 'succeeded', 'v1-worker', { echoed: { n: 2 }, inputs: { a: { echoed: { n: 1 }, inputs: null } } }],
    ]);
  });
});
