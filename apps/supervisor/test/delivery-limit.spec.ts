import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GROUPS, PROTOCOL_EXAMPLES } from '@mesh/mesh-protocol';
import { readAcks, sample, useMesh } from '@mesh/mesh-harness';
import { eventually } from '@mesh/testing';
import { AclUser } from '@mesh/testing';

const t = useMesh('delivery-limit');
let acl: AclUser;
/** Directories a test made; removed after it. */
const dirs: string[] = [];
beforeEach(() => {
  acl = new AclUser();
});
afterEach(async () => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  await acl.remove();
});

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

  it('when Redis refuses the run scripts until a report passes its delivery limit, the attempts it acked fail for good and the run ends where no retry is left; a success is not applied and, with a retry left, runs again', async () => {
    // Task kind `gate` finishes once its file exists: the test opens the gate only when Redis refuses.
    const dir = mkdtempSync(join(tmpdir(), 'mesh-gate-'));
    dirs.push(dir);
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
    await t.mesh.runner('cpu-1', 'default', { RUNNER_HANDLERS_MODULE: handlers, RUNNER_CONCURRENCY: '2' });
    const runId = await t.mesh.submit('limit', 'acme', [
      { id: 'slow', kind: 'gate', payload: { file: gate }, retries: 3 },
      { id: 'last', kind: 'gate', payload: { file: gate }, retries: 0 },
      { id: 'after', dependsOn: ['slow', 'last'] },
    ]);
    // Once both tasks show running, Redis refuses the scripts, then they succeed: their acks cannot be applied.
    await eventually(async () =>
      (await t.mesh.events(runId)).filter((e) => e.type === 'task-started').length === 2 ? true : undefined,
    );
    await acl.refuse('evalsha', 'eval');
    writeFileSync(gate, '');
    // Both acks written, and every report holding them past the limit while every attempt is refused.
    await eventually(async () => {
      const acked = (await readAcks(t.ctx.redis, t.mesh.keys.acks)).filter((a) => a.runId === runId);
      const pending = await deliveries(t.mesh.keys.acks);
      return acked.length === 2 && pending.length > 0 && pending.every((n) => n > 5) ? true : undefined;
    });
    await acl.allow('evalsha', 'eval');

    // Neither success was applied (no output stored): each attempt failed with the reason, and the task with a
    // retry left ran again (at-least-once) rather than failing work that succeeded.
    const end = await t.mesh.finished(runId);
    const limit =
      /^report of runner cpu-1 given up after \d+ deliveries \(delivery limit\); it reported success, not applied$/;
    expect([end.type, end.error]).toEqual(['run-failed', expect.stringMatching(/^task last: report of runner cpu-1 /)]);
    expect(end.error?.replace(/^task last: /, '')).toMatch(limit);
    const events = await t.mesh.events(runId);
    expect(events.filter((e) => e.type === 'task-retrying').map((e) => [e.taskId, e.attempt, e.error])).toEqual([
      ['slow', 1, expect.stringMatching(limit)],
    ]);
    const record = await t.mesh.state().record(runId);
    expect(record?.tasks.map((task) => [task.id, task.status, task.attempts])).toEqual([
      ['slow', 'succeeded', 2],
      ['last', 'failed', 1],
      ['after', 'skipped', 0],
    ]);
    expect(record?.tasks[0]?.output).toEqual({ opened: true });
    expect(record?.tasks[1]?.output).toBeUndefined();
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
