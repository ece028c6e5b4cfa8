import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GROUPS, PROTOCOL_EXAMPLES } from '@mesh/mesh-protocol';
import { sample, useMesh } from '@mesh/mesh-harness';
import { eventually } from '@mesh/testing';
import { AclUser } from './support/acl-user';

const t = useMesh('delivery-limit');
let acl: AclUser;
beforeEach(() => {
  acl = new AclUser();
});
afterEach(() => acl.remove());

/** The delivery count of each entry pending in the supervisor group of `stream`. */
async function deliveries(stream: string): Promise<number[]> {
  const rows = (await t.ctx.redis.xpending(stream, GROUPS.supervisor, '-', '+', 100)) as Array<
    [string, string, number, number]
  >;
  return rows.map(([, , , n]) => Number(n));
}

describe('entries past the delivery limit', () => {
  it('when Redis refuses the run scripts until a submission passes its delivery limit, its run ends failed with the reason, not queued', async () => {
    const url = await acl.create(t.ctx.prefix);
    const sup = await t.mesh.supervisor('sup-1', { REDIS_URL: url });
    await t.mesh.runner('cpu-1', 'default');
    // The orchestrator created the run (queued) and wrote its submission; then Redis refuses scripts for a while.
    const state = t.mesh.state();
    const runId = randomUUID();
    const submission = {
      ...PROTOCOL_EXAMPLES.submission,
      runId,
      workflow: 'limit',
      tasks: [
        { id: 'a', kind: 'echo', payload: null, dependsOn: [], retries: 2, timeoutMs: 1000 },
        { id: 'b', kind: 'echo', payload: null, dependsOn: ['a'], retries: 0, timeoutMs: 1000 },
      ],
    };
    expect(await state.create(submission)).toBe('created');
    await acl.refuse('evalsha', 'eval');
    await t.mesh.submit('limit', submission.tenant, submission.tasks, runId);
    // Read, then reclaimed again and again: past the limit (5 deliveries) while every attempt is refused.
    await eventually(async () => (((await deliveries(t.mesh.keys.workflows))[0] ?? 0) > 5 ? true : undefined));
    await acl.allow('evalsha', 'eval');

    const end = await t.mesh.finished(runId);
    expect(end.type).toBe('run-failed');
    expect(end.error).toMatch(/^submission given up after \d+ deliveries \(delivery limit\)$/);
    const record = await state.record(runId);
    expect(record?.status).toBe('failed');
    expect(record?.tasks.map((task) => [task.id, task.status, task.error])).toEqual([
      ['a', 'failed', end.error],
      ['b', 'failed', end.error],
    ]);
    await eventually(async () => ((await deliveries(t.mesh.keys.workflows)).length === 0 ? true : undefined));
    const text = await t.mesh.metrics(sup);
    expect(sample(text, 'supervisor_dead_letters_total{stream="workflows",reason="delivery_limit"}')).toBe(1);
    // One end, with the reason: the dead letter adds no second run-failed of its own.
    expect((await t.mesh.events(runId)).filter((e) => e.type === 'run-failed').map((e) => e.error)).toEqual([
      end.error,
    ]);
    expect(sample(text, 'supervisor_workflow_events_total{workflow="limit",outcome="failure"}')).toBe(1);
  });

  it('when Redis refuses the run scripts until a report passes its delivery limit, the attempts it acked fail for good and the run ends', async () => {
    // Task kind `gate` finishes once its file exists: the test opens the gate only when Redis refuses.
    const dir = mkdtempSync(join(tmpdir(), 'mesh-gate-'));
    const handlers = join(dir, 'gate.js');
    writeFileSync(
      handlers,
      `const { existsSync } = require('node:fs');
exports.handlers = [{ kind: 'gate', run: async (p) => {
  while (!existsSync(p.file)) await new Promise((r) => setTimeout(r, 20));
  return { opened: true };
} }];
`,
    );
    const gate = join(dir, 'open');
    const url = await acl.create(t.ctx.prefix);
    await t.mesh.supervisor('sup-1', { REDIS_URL: url });
    await t.mesh.runner('cpu-1', 'default', { RUNNER_HANDLERS_MODULE: handlers });
    const runId = await t.mesh.submit('limit', 'acme', [
      { id: 'slow', kind: 'gate', payload: { file: gate }, retries: 3 },
      { id: 'after', dependsOn: ['slow'] },
    ]);
    // Once the task shows running, Redis refuses the scripts, then the task finishes: its ack cannot be applied.
    await eventually(async () =>
      (await t.mesh.events(runId)).some((e) => e.type === 'task-started') ? true : undefined,
    );
    await acl.refuse('evalsha', 'eval');
    writeFileSync(gate, '');
    await eventually(async () => ((await deliveries(t.mesh.keys.acks)).some((n) => n > 5) ? true : undefined));
    await acl.allow('evalsha', 'eval');

    const end = await t.mesh.finished(runId);
    expect([end.type, end.error]).toEqual([
      'run-failed',
      expect.stringMatching(/^task slow: report of runner cpu-1 given up after \d+ deliveries \(delivery limit\)$/),
    ]);
    const record = await t.mesh.state().record(runId);
    // Not retried: the runner did its part; the supervisor gave its report up.
    expect(record?.tasks.map((task) => [task.id, task.status, task.attempts])).toEqual([
      ['slow', 'failed', 1],
      ['after', 'skipped', 0],
    ]);
  });

  it('when one submission of a batch keeps failing, the other runs of its batch start and finish, and it stays pending', async () => {
    // Written before the supervisor starts, so that they are read as one batch.
    const poison = randomUUID();
    await t.ctx.redis.set(t.mesh.keys.run(poison, 'status'), 'not a hash');
    const good = [await t.mesh.submit('batch', 'acme', [{ id: 'a' }])];
    await t.mesh.submit('batch', 'acme', [{ id: 'a' }], poison);
    good.push(await t.mesh.submit('batch', 'acme', [{ id: 'a' }, { id: 'b', dependsOn: ['a'] }]));
    await t.mesh.supervisor('sup-1');
    await t.mesh.runner('cpu-1', 'default');

    const ends = await Promise.all(good.map((id) => t.mesh.finished(id)));
    expect(ends.map((e) => e.type)).toEqual(['run-succeeded', 'run-succeeded']);
    // The bad one is not lost: still pending, to be taken again.
    expect(await deliveries(t.mesh.keys.workflows)).toHaveLength(1);
  });
});
