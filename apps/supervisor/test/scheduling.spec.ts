import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRedisTestContext, eventually, type RedisTestContext } from '@mesh/testing';
import { MeshHarness, sample } from '@mesh/mesh-harness';

let ctx: RedisTestContext;
let mesh: MeshHarness;

beforeEach(() => {
  ctx = createRedisTestContext('supervisor');
  mesh = new MeshHarness(ctx);
});
afterEach(async () => {
  await mesh.stopAll();
  await ctx.cleanup();
});

const DAG = [
  { id: 'extract', kind: 'echo', payload: { table: 'orders' } },
  { id: 'transform', kind: 'sleep', payload: { ms: 20 }, dependsOn: ['extract'] },
  { id: 'load', kind: 'echo', payload: null, dependsOn: ['extract', 'transform'] },
];

describe('supervisor scheduling', () => {
  it('when a pinned tenant submits a 3-task DAG, every assignment lands only on its domain stream, in dependency order, and the run succeeds', async () => {
    const sup = await mesh.supervisor('sup-1', { MESH_TENANT_DOMAIN_MAP: 'acme=gpu-east' });
    await mesh.runner('gpu-1', 'gpu-east');
    await mesh.runner('cpu-1', 'default');
    const runId = await mesh.submit('etl', 'acme', DAG);
    expect((await mesh.finished(runId)).type).toBe('run-succeeded');
    expect(await ctx.redis.xlen(mesh.keys.assignments('gpu-east'))).toBe(3);
    expect(await ctx.redis.xlen(mesh.keys.assignments('default'))).toBe(0);
    const events = await mesh.events(runId);
    const succeeded = events.filter((e) => e.type === 'task-succeeded');
    expect(succeeded.map((e) => [e.taskId, e.runnerId])).toEqual([
      ['extract', 'gpu-1'],
      ['transform', 'gpu-1'],
      ['load', 'gpu-1'],
    ]);
    expect(events.map((e) => e.type)).toEqual(
      expect.arrayContaining(['run-started', 'task-dispatched', 'run-succeeded']),
    );
    const text = await mesh.metrics(sup);
    expect(sample(text, 'supervisor_mesh_dispatch_total{status="success"}')).toBe(3);
    expect(sample(text, 'supervisor_routed_assignments_total{domain="gpu-east",route="override"}')).toBe(3);
    expect(sample(text, 'supervisor_workflow_events_total{workflow="etl",outcome="success"}')).toBe(1);
    expect(sample(text, 'supervisor_workflow_latency_samples_total{workflow="etl"}')).toBe(1);
    expect(sample(text, 'supervisor_worker_latency_samples_total{worker="gpu-1"}')).toBe(3);
    expect(sample(text, 'supervisor_worker_latency_seconds_total{worker="gpu-1"}')).toBeGreaterThan(0.015);
  }, 20_000);

  it('when XADDs to a domain are refused, retry then failure are counted, the run fails, and the success-ratio PromQL equals success / all', async () => {
    const sup = await mesh.supervisor('sup-1', {
      MESH_TENANT_DOMAIN_MAP: 'broken=jammed',
      SUPERVISOR_PUBLISH_MAX_ATTEMPTS: '3',
    });
    await mesh.runner('cpu-1', 'default');
    await mesh.runner('jam-1', 'jammed');
    // Redis refuses every XADD to this stream: the key now holds a string (WRONGTYPE).
    await ctx.redis.del(mesh.keys.assignments('jammed'));
    await ctx.redis.set(mesh.keys.assignments('jammed'), 'not a stream');
    const good = await mesh.submit('etl', 'someone', [{ id: 'a' }, { id: 'b', dependsOn: ['a'] }]);
    const bad = await mesh.submit('etl', 'broken', [{ id: 'a' }, { id: 'b', dependsOn: ['a'] }]);
    expect((await mesh.finished(good)).type).toBe('run-succeeded');
    const failed = await mesh.finished(bad);
    expect(failed.type).toBe('run-failed');
    expect(failed.error).toMatch(/^task a: could not publish the assignment after 3 attempts: WRONGTYPE/);
    expect((await mesh.events(bad)).filter((e) => e.type === 'task-skipped').map((e) => e.taskId)).toEqual(['b']);

    const text = await mesh.metrics(sup);
    const count = (status: string) => sample(text, `supervisor_mesh_dispatch_total{status="${status}"}`);
    expect([count('success'), count('retry'), count('failure'), count('missing')]).toEqual([2, 2, 1, 0]);
    // sum(rate(…{status="success"}[5m])) / sum(rate(…[5m])) over a window starting at zero is the ratio of the counters.
    const ratio = count('success') / (count('success') + count('retry') + count('failure') + count('missing'));
    expect(ratio).toBeCloseTo(2 / 5, 10);
  }, 20_000);

  it('when a domain has no live runner, dispatch counts missing and the task runs once a runner of that domain starts', async () => {
    const sup = await mesh.supervisor('sup-1', { MESH_TENANT_DOMAIN_MAP: 'acme=late' });
    const runId = await mesh.submit('etl', 'acme', [{ id: 'only' }]);
    await eventually(async () =>
      sample(await mesh.metrics(sup), 'supervisor_mesh_dispatch_total{status="missing"}') >= 2 ? true : undefined,
    );
    expect(await ctx.redis.xlen(mesh.keys.assignments('late'))).toBe(0);
    expect((await mesh.events(runId)).map((e) => e.type)).toEqual(['run-started']);
    await mesh.runner('late-1', 'late');
    expect((await mesh.finished(runId)).type).toBe('run-succeeded');
    const text = await mesh.metrics(sup);
    expect(sample(text, 'supervisor_mesh_dispatch_total{status="success"}')).toBe(1);
    expect(sample(text, 'supervisor_runners_online{domain="late"}')).toBe(1);
  }, 20_000);

  it('when a domain never gets a runner, the task fails at its dispatch deadline and the run ends', async () => {
    await mesh.supervisor('sup-1', { SUPERVISOR_DISPATCH_DEADLINE_MS: '300', MESH_DEFAULT_DOMAIN: 'nowhere' });
    const runId = await mesh.submit('etl', 'acme', [{ id: 'only' }]);
    const done = await mesh.finished(runId);
    expect([done.type, done.error]).toEqual([
      'run-failed',
      'task only: no live runner in domain nowhere within 300 ms',
    ]);
  }, 20_000);

  it('when the same ack arrives twice, no count changes except supervisor_duplicate_acks_total', async () => {
    const sup = await mesh.supervisor('sup-1');
    await mesh.runner('cpu-1', 'default');
    const runId = await mesh.submit('etl', 'acme', [{ id: 'a' }]);
    await mesh.finished(runId);
    const before = await mesh.metrics(sup);
    const [[, fields]] = (await ctx.redis.xrange(mesh.keys.acks, '-', '+')) as [[string, string[]]];
    await ctx.redis.xadd(mesh.keys.acks, '*', ...fields);
    await eventually(async () =>
      sample(await mesh.metrics(sup), 'supervisor_duplicate_acks_total') === 1 ? true : undefined,
    );
    const after = await mesh.metrics(sup);
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
  }, 20_000);

  it('when a task fails with a retry left, it is retried; failing again, its dependants are skipped and the run fails with its error', async () => {
    const sup = await mesh.supervisor('sup-1');
    await mesh.runner('cpu-1', 'default');
    const runId = await mesh.submit('etl', 'acme', [
      { id: 'flaky', kind: 'fail', payload: { message: 'disk full' }, retries: 1 },
      { id: 'after', dependsOn: ['flaky'] },
      { id: 'independent' },
    ]);
    const done = await mesh.finished(runId);
    expect([done.type, done.error]).toEqual(['run-failed', 'task flaky: disk full']);
    const types = (await mesh.events(runId))
      .filter((e) => e.taskId === 'flaky' || e.taskId === 'after')
      .map((e) => `${e.type}:${e.taskId}:${e.attempt ?? ''}`);
    expect(types).toEqual([
      'task-dispatched:flaky:1',
      'task-retrying:flaky:1',
      'task-dispatched:flaky:2',
      'task-failed:flaky:2',
      'task-skipped:after:',
    ]);
    const text = await mesh.metrics(sup);
    expect(sample(text, 'supervisor_worker_task_failures_total{worker="cpu-1"}')).toBe(2);
    expect(sample(text, 'supervisor_workflow_events_total{workflow="etl",outcome="failure"}')).toBe(1);
  }, 20_000);

  it('when a submission has a cycle, it ends as run-failed with the reason and a dead letter, and the reader goes on', async () => {
    const sup = await mesh.supervisor('sup-1');
    await mesh.runner('cpu-1', 'default');
    const bad = await mesh.submit('etl', 'acme', [
      { id: 'a', dependsOn: ['b'] },
      { id: 'b', dependsOn: ['a'] },
    ]);
    const good = await mesh.submit('etl', 'acme', [{ id: 'a' }]);
    const failed = await mesh.finished(bad);
    expect([failed.type, failed.error]).toEqual(['run-failed', 'invalid submission: dependency cycle: a → b → a']);
    expect((await mesh.finished(good)).type).toBe('run-succeeded');
    expect(await ctx.redis.xlen(mesh.keys.dead)).toBe(1);
    expect(sample(await mesh.metrics(sup), 'supervisor_dead_letters_total{stream="workflows",reason="rejected"}')).toBe(
      1,
    );
  }, 20_000);

  it('when the tenant map file changes and SIGHUP arrives, new runs follow the new map; a bad map is refused and the old one kept', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mesh-map-'));
    const file = join(dir, 'tenants');
    writeFileSync(file, 'acme=east\n');
    const sup = await mesh.supervisor('sup-1', { MESH_TENANT_DOMAIN_MAP_FILE: file });
    await mesh.runner('east-1', 'east');
    await mesh.runner('west-1', 'west');
    const first = await mesh.submit('etl', 'acme', [{ id: 'a' }]);
    await mesh.finished(first);
    writeFileSync(file, 'acme=west # moved\n');
    sup.child.kill('SIGHUP');
    await eventually(async () =>
      (await mesh.metrics(sup)).includes('supervisor_tenant_domain_override{tenant="acme",domain="west"} 1')
        ? true
        : undefined,
    );
    const second = await mesh.submit('etl', 'acme', [{ id: 'a' }]);
    await mesh.finished(second);
    expect(await ctx.redis.xlen(mesh.keys.assignments('west'))).toBe(1);

    writeFileSync(file, 'acme=west,acme=east\n');
    sup.child.kill('SIGHUP');
    await eventually(() => sup.records.find((r) => r['msg'] === 'tenant map refused; keeping the current one'));
    expect(await mesh.metrics(sup)).toContain('supervisor_tenant_domain_override{tenant="acme",domain="west"} 1');
  }, 20_000);

  it('when runs are done, the streams are trimmed below what every group acknowledged, and a stream with no group is left alone', async () => {
    const sup = await mesh.supervisor('sup-1', { SUPERVISOR_TRIM_INTERVAL_MS: '200' });
    await mesh.runner('cpu-1', 'default');
    const runId = await mesh.submit('etl', 'acme', [{ id: 'a' }, { id: 'b', dependsOn: ['a'] }]);
    await mesh.finished(runId);
    await eventually(async () => {
      const lengths = await Promise.all(
        [mesh.keys.workflows, mesh.keys.acks, mesh.keys.assignments('default')].map((k) => ctx.redis.xlen(k)),
      );
      return lengths.every((n) => n === 0) ? true : undefined;
    });
    // Nothing reads run events in this test (no orchestrator group): they are kept.
    expect(await ctx.redis.xlen(mesh.keys.runEvents)).toBeGreaterThan(0);
    const text = await mesh.metrics(sup);
    expect(sample(text, 'supervisor_stream_trimmed_entries_total{stream="assignments"}')).toBe(2);
    expect(sample(text, 'supervisor_stream_trimmed_entries_total{stream="acks"}')).toBe(2);
    expect(sample(text, 'supervisor_stream_trimmed_entries_total{stream="workflows"}')).toBe(1);
  }, 20_000);
});
