import { decodeAcksEntry, type RunnerReport } from '@mesh/mesh-protocol';
import { eventually } from '@mesh/testing';
import { useMesh, sample } from '@mesh/mesh-harness';

const t = useMesh('supervisor');

const DAG = [
  { id: 'extract', kind: 'echo', payload: { table: 'orders' } },
  { id: 'transform', kind: 'sleep', payload: { ms: 20 }, dependsOn: ['extract'] },
  { id: 'load', kind: 'echo', payload: null, dependsOn: ['extract', 'transform'] },
];

describe('supervisor scheduling', () => {
  it('when a pinned tenant submits a 3-task DAG, every assignment lands only on its domain stream, in dependency order, and the run succeeds', async () => {
    const sup = await t.mesh.supervisor('sup-1', { MESH_TENANT_DOMAIN_MAP: 'acme=gpu-east' });
    await t.mesh.runner('gpu-1', 'gpu-east');
    await t.mesh.runner('cpu-1', 'default');
    const runId = await t.mesh.submit('etl', 'acme', DAG);
    expect((await t.mesh.finished(runId)).type).toBe('run-succeeded');
    expect(await t.ctx.redis.xlen(t.mesh.keys.assignments('gpu-east'))).toBe(3);
    expect(await t.ctx.redis.xlen(t.mesh.keys.assignments('default'))).toBe(0);
    const events = await t.mesh.events(runId);
    const succeeded = events.filter((e) => e.type === 'task-succeeded');
    expect(succeeded.map((e) => [e.taskId, e.runnerId])).toEqual([
      ['extract', 'gpu-1'],
      ['transform', 'gpu-1'],
      ['load', 'gpu-1'],
    ]);
    expect(events.map((e) => e.type)).toEqual(
      expect.arrayContaining(['run-started', 'task-dispatched', 'run-succeeded']),
    );
    const text = await t.mesh.metrics(sup);
    expect(sample(text, 'supervisor_mesh_dispatch_total{status="success"}')).toBe(3);
    expect(sample(text, 'supervisor_routed_assignments_total{domain="gpu-east",route="override"}')).toBe(3);
    expect(sample(text, 'supervisor_workflow_events_total{workflow="etl",outcome="success"}')).toBe(1);
    expect(sample(text, 'supervisor_workflow_latency_samples_total{workflow="etl"}')).toBe(1);
    expect(sample(text, 'supervisor_worker_latency_samples_total{worker="gpu-1"}')).toBe(3);
    expect(sample(text, 'supervisor_worker_latency_seconds_total{worker="gpu-1"}')).toBeGreaterThan(0.015);
  });

  it('when the same ack arrives twice, no count changes except supervisor_duplicate_acks_total', async () => {
    const sup = await t.mesh.supervisor('sup-1');
    await t.mesh.runner('cpu-1', 'default');
    const runId = await t.mesh.submit('etl', 'acme', [{ id: 'a' }]);
    await t.mesh.finished(runId);
    const before = await t.mesh.metrics(sup);
    // The runner's report that carries the ack (another may carry only the pickup).
    const entries = (await t.ctx.redis.xrange(t.mesh.keys.acks, '-', '+')) as Array<[string, string[]]>;
    const withAck = entries.find(([, f]) => (decodeAcksEntry(f) as { message?: RunnerReport }).message?.acks.length);
    await t.ctx.redis.xadd(t.mesh.keys.acks, '*', ...(withAck?.[1] ?? []));
    await eventually(async () =>
      sample(await t.mesh.metrics(sup), 'supervisor_duplicate_acks_total') === 1 ? true : undefined,
    );
    const after = await t.mesh.metrics(sup);
    for (const series of [
      'supervisor_worker_latency_samples_total{worker="cpu-1"}',
      'supervisor_worker_latency_seconds_total{worker="cpu-1"}',
      'supervisor_worker_task_failures_total{worker="cpu-1"}',
      'supervisor_workflow_events_total{workflow="etl",outcome="success"}',
      'supervisor_workflow_latency_samples_total{workflow="etl"}',
      'supervisor_mesh_dispatch_total{status="success"}',
    ]) {
      expect([series, sample(after, series)]).toEqual([series, sample(before, series)]);
    }
  });

  it('when a task fails with a retry left, it is retried; failing again, its dependants are skipped and the run fails with its error', async () => {
    const sup = await t.mesh.supervisor('sup-1');
    await t.mesh.runner('cpu-1', 'default');
    const runId = await t.mesh.submit('etl', 'acme', [
      { id: 'flaky', kind: 'fail', payload: { message: 'disk full' }, retries: 1 },
      { id: 'after', dependsOn: ['flaky'] },
      { id: 'independent' },
    ]);
    const done = await t.mesh.finished(runId);
    expect([done.type, done.error]).toEqual(['run-failed', 'task flaky: disk full']);
    const types = (await t.mesh.events(runId))
      .filter((e) => e.taskId === 'flaky' || e.taskId === 'after')
      .map((e) => `${e.type}:${e.taskId}:${e.attempt ?? ''}`);
    expect(types).toEqual([
      // A task that ends within the runner's pickup report delay is reported once, by its ack: no task-started.
      'task-dispatched:flaky:1',
      'task-retrying:flaky:1',
      'task-dispatched:flaky:2',
      'task-failed:flaky:2',
      'task-skipped:after:',
    ]);
    const text = await t.mesh.metrics(sup);
    expect(sample(text, 'supervisor_worker_task_failures_total{worker="cpu-1"}')).toBe(2);
    expect(sample(text, 'supervisor_workflow_events_total{workflow="etl",outcome="failure"}')).toBe(1);
  });

  it('when a submission has a cycle, it ends as run-failed with the reason and a dead letter, and the reader goes on', async () => {
    const sup = await t.mesh.supervisor('sup-1');
    await t.mesh.runner('cpu-1', 'default');
    const bad = await t.mesh.submit('etl', 'acme', [
      { id: 'a', dependsOn: ['b'] },
      { id: 'b', dependsOn: ['a'] },
    ]);
    const good = await t.mesh.submit('etl', 'acme', [{ id: 'a' }]);
    const failed = await t.mesh.finished(bad);
    expect([failed.type, failed.error]).toEqual(['run-failed', 'invalid submission: dependency cycle: a → b → a']);
    expect((await t.mesh.finished(good)).type).toBe('run-succeeded');
    expect(await t.ctx.redis.xlen(t.mesh.keys.dead)).toBe(1);
    expect(
      sample(await t.mesh.metrics(sup), 'supervisor_dead_letters_total{stream="workflows",reason="rejected"}'),
    ).toBe(1);
  });

  it('when runs are done, the streams are trimmed below what every group acknowledged, and a stream with no group is left alone', async () => {
    const sup = await t.mesh.supervisor('sup-1', { SUPERVISOR_TRIM_INTERVAL_MS: '200' });
    await t.mesh.runner('cpu-1', 'default');
    const runId = await t.mesh.submit('etl', 'acme', [{ id: 'a' }, { id: 'b', dependsOn: ['a'] }]);
    await t.mesh.finished(runId);
    await eventually(async () => {
      const lengths = await Promise.all(
        [t.mesh.keys.workflows, t.mesh.keys.acks, t.mesh.keys.assignments('default')].map((k) => t.ctx.redis.xlen(k)),
      );
      return lengths.every((n) => n === 0) ? true : undefined;
    });
    // Nothing reads run events in this test (no orchestrator group): they are kept.
    expect(await t.ctx.redis.xlen(t.mesh.keys.runEvents)).toBeGreaterThan(0);
    const text = await t.mesh.metrics(sup);
    expect(sample(text, 'supervisor_stream_trimmed_entries_total{stream="assignments"}')).toBe(2);
    // Runner reports: one per batch of pickups or acks, however the runner's batches fell; every one is trimmed.
    const info = (await t.ctx.redis.call('XINFO', 'STREAM', t.mesh.keys.acks)) as Array<string | number>;
    const acksAdded = Number(info[info.indexOf('entries-added') + 1]);
    expect(acksAdded).toBeGreaterThanOrEqual(2);
    expect(sample(text, 'supervisor_stream_trimmed_entries_total{stream="acks"}')).toBe(acksAdded);
    expect(sample(text, 'supervisor_stream_trimmed_entries_total{stream="workflows"}')).toBe(1);
  });
});
