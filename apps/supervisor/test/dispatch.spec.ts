import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '@mesh/testing';
import { useMesh, sample } from '@mesh/mesh-harness';

const t = useMesh('supervisor');

describe('supervisor dispatch and routing', () => {
  it('when XADDs to a domain are refused, retry then failure are counted, the run fails, and the success-ratio PromQL equals success / all', async () => {
    const sup = await t.mesh.supervisor('sup-1', {
      MESH_TENANT_DOMAIN_MAP: 'broken=jammed',
      SUPERVISOR_PUBLISH_MAX_ATTEMPTS: '3',
    });
    await t.mesh.runner('cpu-1', 'default');
    await t.mesh.runner('jam-1', 'jammed');
    // Redis refuses every XADD to this stream: the key now holds a string (WRONGTYPE).
    await t.ctx.redis.del(t.mesh.keys.assignments('jammed'));
    await t.ctx.redis.set(t.mesh.keys.assignments('jammed'), 'not a stream');
    const good = await t.mesh.submit('etl', 'someone', [{ id: 'a' }, { id: 'b', dependsOn: ['a'] }]);
    const bad = await t.mesh.submit('etl', 'broken', [{ id: 'a' }, { id: 'b', dependsOn: ['a'] }]);
    expect((await t.mesh.finished(good)).type).toBe('run-succeeded');
    const failed = await t.mesh.finished(bad);
    expect(failed.type).toBe('run-failed');
    expect(failed.error).toMatch(/^task a: could not publish the assignment after 3 attempts: WRONGTYPE/);
    expect((await t.mesh.events(bad)).filter((e) => e.type === 'task-skipped').map((e) => e.taskId)).toEqual(['b']);

    const text = await t.mesh.metrics(sup);
    const count = (status: string) => sample(text, `supervisor_mesh_dispatch_total{status="${status}"}`);
    expect([count('success'), count('retry'), count('failure'), count('missing')]).toEqual([2, 2, 1, 0]);
    // sum(rate(…{status="success"}[5m])) / sum(rate(…[5m])) over a window starting at zero is the ratio of the counters.
    const ratio = count('success') / (count('success') + count('retry') + count('failure') + count('missing'));
    expect(ratio).toBeCloseTo(2 / 5, 10);
  });

  it('when a domain has no live runner, dispatch counts missing once per attempt, not per re-check, and the task runs once a runner of that domain starts', async () => {
    const sup = await t.mesh.supervisor('sup-1', { MESH_TENANT_DOMAIN_MAP: 'acme=late' });
    const runId = await t.mesh.submit('etl', 'acme', [{ id: 'only' }]);
    // The attempt waits in the schedule and is re-checked: each claim and each deferral moves its score.
    const scores = new Set<string>();
    await eventually(async () => {
      const score = await t.ctx.redis.zscore(t.mesh.keys.schedule, `d|${runId}|only|1`);
      if (score) scores.add(score);
      return scores.size >= 4 ? true : undefined;
    });
    expect(sample(await t.mesh.metrics(sup), 'supervisor_mesh_dispatch_total{status="missing"}')).toBe(1);
    expect(await t.ctx.redis.xlen(t.mesh.keys.assignments('late'))).toBe(0);
    expect((await t.mesh.events(runId)).map((e) => e.type)).toEqual(['run-started']);
    await t.mesh.runner('late-1', 'late');
    expect((await t.mesh.finished(runId)).type).toBe('run-succeeded');
    const text = await t.mesh.metrics(sup);
    expect(sample(text, 'supervisor_mesh_dispatch_total{status="success"}')).toBe(1);
    expect(sample(text, 'supervisor_runners_online{domain="late"}')).toBe(1);
  });

  it('when a domain never gets a runner, the task fails at its dispatch deadline and the run ends', async () => {
    const sup = await t.mesh.supervisor('sup-1', {
      SUPERVISOR_DISPATCH_DEADLINE_MS: '300',
      MESH_DEFAULT_DOMAIN: 'nowhere',
    });
    const runId = await t.mesh.submit('etl', 'acme', [{ id: 'only' }]);
    const done = await t.mesh.finished(runId);
    expect([done.type, done.error]).toEqual([
      'run-failed',
      'task only: no live runner in domain nowhere within 300 ms',
    ]);
    // The run's workflow series started at 0, so rate() saw its first failure.
    const text = await t.mesh.metrics(sup);
    expect(text).toContain('supervisor_workflow_events_total{workflow="etl",outcome="success"} 0');
    expect(text).toContain('supervisor_workflow_events_total{workflow="etl",outcome="failure"} 1');
  });

  it('when the tenant map file changes and SIGHUP arrives, new runs follow the new map; a bad map is refused and the old one kept', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mesh-map-'));
    const file = join(dir, 'tenants');
    writeFileSync(file, 'acme=east\n');
    const sup = await t.mesh.supervisor('sup-1', { MESH_TENANT_DOMAIN_MAP_FILE: file });
    await t.mesh.runner('east-1', 'east');
    await t.mesh.runner('west-1', 'west');
    const first = await t.mesh.submit('etl', 'acme', [{ id: 'a' }]);
    await t.mesh.finished(first);
    writeFileSync(file, 'acme=west # moved\n');
    sup.child.kill('SIGHUP');
    await eventually(async () =>
      (await t.mesh.metrics(sup)).includes('supervisor_tenant_domain_override{tenant="acme",domain="west"} 1')
        ? true
        : undefined,
    );
    const second = await t.mesh.submit('etl', 'acme', [{ id: 'a' }]);
    await t.mesh.finished(second);
    expect(await t.ctx.redis.xlen(t.mesh.keys.assignments('west'))).toBe(1);

    writeFileSync(file, 'acme=west,acme=east\n');
    sup.child.kill('SIGHUP');
    await eventually(() => sup.records.find((r) => r['msg'] === 'tenant map refused; keeping the current one'));
    expect(await t.mesh.metrics(sup)).toContain('supervisor_tenant_domain_override{tenant="acme",domain="west"} 1');
  });
});
