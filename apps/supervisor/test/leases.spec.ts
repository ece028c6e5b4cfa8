import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GROUPS, type Ack } from '@mesh/mesh-protocol';
import { useMesh, readAcks } from '@mesh/mesh-harness';
import { eventually } from '@mesh/testing';

const t = useMesh('leases');

async function acksOf(runId: string): Promise<Ack[]> {
  return (await readAcks(t.ctx.redis, t.mesh.keys.acks)).filter((a) => a.runId === runId);
}

describe('leased deliveries', () => {
  it('when a task runs 8 s on a 2 s lease, it runs exactly once, on one runner, and succeeds', async () => {
    await t.mesh.supervisor('sup-1');
    // Per-assignment log lines ("assignment done") are at debug.
    // Four leases long, renewed every 400 ms: a runner starved of CPU for most of a lease still keeps its task.
    const lease = { RUNNER_CLAIM_IDLE_MS: '2000', RUNNER_CONCURRENCY: '4', LOG_LEVEL: 'debug' };
    const runners = [
      await t.mesh.runner('lease-a', 'default', lease),
      await t.mesh.runner('lease-b', 'default', lease),
    ];
    const runId = await t.mesh.submit('long', 'acme', [
      { id: 'slow', kind: 'sleep', payload: { ms: 8000 }, timeoutMs: 60_000 },
    ]);
    // While it runs, its entry stays delivered once: renewing a lease never counts as a delivery.
    const stream = t.mesh.keys.assignments('default');
    let maxDeliveries = 0;
    const running = await eventually(async () => {
      const rows = (await t.ctx.redis.xpending(stream, GROUPS.runners, '-', '+', 10)) as Array<
        [string, string, number, number]
      >;
      for (const [, , , count] of rows) maxDeliveries = Math.max(maxDeliveries, Number(count));
      const events = await t.mesh.events(runId);
      return events.some((e) => e.type === 'run-succeeded') ? events : undefined;
    });
    expect(running.some((e) => e.type === 'run-succeeded')).toBe(true);
    expect(maxDeliveries).toBe(1);
    const done = runners.flatMap((r) =>
      r.records.filter((l) => l['msg'] === 'assignment done' && l['runId'] === runId),
    );
    expect(done.map((l) => [l['taskId'], l['deliveries'], l['success']])).toEqual([['slow', 1, true]]);
    expect((await acksOf(runId)).map((a) => a.taskId)).toEqual(['slow']);
  });

  it('when a backlog waits on one runner of concurrency 1, tasks longer than their timeout in total all succeed', async () => {
    await t.mesh.supervisor('sup-1');
    await t.mesh.runner('single', 'default', { RUNNER_CONCURRENCY: '1' });
    const tasks = ['t1', 't2', 't3'].map((id) => ({ id, kind: 'sleep', payload: { ms: 1000 }, timeoutMs: 1500 }));
    const runId = await t.mesh.submit('backlog', 'acme', tasks);
    const finished = await t.mesh.finished(runId);
    expect([finished.type, finished.error]).toEqual(['run-succeeded', undefined]);
    expect((await acksOf(runId)).every((a) => a.success)).toBe(true);
  });

  it('when a task has a queueTimeoutMs and no runner picks it up in time, it fails with that reason; waiting without one never fails', async () => {
    await t.mesh.supervisor('sup-1');
    await t.mesh.runner('busy', 'default', { RUNNER_CONCURRENCY: '1' });
    const runId = await t.mesh.submit('queue', 'acme', [
      { id: 'long', kind: 'sleep', payload: { ms: 2000 }, timeoutMs: 60_000 },
      { id: 'impatient', kind: 'echo', timeoutMs: 60_000, queueTimeoutMs: 300 },
      { id: 'patient', kind: 'echo', timeoutMs: 60_000 },
    ]);
    const finished = await t.mesh.finished(runId);
    expect([finished.type, finished.error]).toEqual([
      'run-failed',
      'task impatient: not picked up by a runner within 300 ms (queueTimeoutMs)',
    ]);
    const record = await t.mesh.state().record(runId);
    expect(record?.tasks.map((t) => [t.id, t.status])).toEqual([
      ['long', 'succeeded'],
      ['impatient', 'failed'],
      ['patient', 'succeeded'],
    ]);
  });

  it('when a runner holding 20 tasks is SIGKILLed, all complete on the other runner within 5 s (default lease), each succeeding once', async () => {
    // Task kind `hold` never finishes on the doomed runner and finishes at once on the survivor, so the doomed
    // runner holds all 20 in flight for as long as the test needs, whatever the machine's load.
    const dir = mkdtempSync(join(tmpdir(), 'mesh-hold-'));
    const module = (name: string, run: string): string => {
      const file = join(dir, `${name}.js`);
      writeFileSync(file, `exports.handlers = [{ kind: 'hold', run: ${run} }];\n`);
      return file;
    };
    const holdForever = module(
      'forever',
      '(p, ctx) => new Promise((_, reject) => ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason)))',
    );
    const finishAtOnce = module('at-once', 'async (p, ctx) => ({ by: ctx.assignment.taskId })');
    await t.mesh.supervisor('sup-1');
    const doomed = await t.mesh.runner('doomed', 'default', {
      RUNNER_CONCURRENCY: '20',
      RUNNER_HANDLERS_MODULE: holdForever,
    });
    const tasks = Array.from({ length: 20 }, (_, i) => ({ id: `t${i}`, kind: 'hold', timeoutMs: 600_000 }));
    const runId = await t.mesh.submit('kill', 'acme', tasks);
    const stream = t.mesh.keys.assignments('default');
    await eventually(async () => {
      const held = (await t.ctx.redis.xpending(stream, GROUPS.runners, '-', '+', 100, 'doomed')) as unknown[];
      return held.length === 20 ? true : undefined;
    });
    // The survivor can only get the tasks by reclaiming them once the doomed runner's leases lapse.
    await t.mesh.runner('survivor', 'default', { RUNNER_CONCURRENCY: '20', RUNNER_HANDLERS_MODULE: finishAtOnce });
    const killedAt = Date.now();
    await doomed.stop('SIGKILL');
    expect((await t.mesh.finished(runId)).type).toBe('run-succeeded');
    const acks = await acksOf(runId);
    expect(acks.map((a) => a.taskId).sort()).toEqual(tasks.map((t) => t.id).sort());
    expect(new Set(acks.map((a) => a.runnerId))).toEqual(new Set(['survivor']));
    expect(Math.max(...acks.map((a) => a.finishedAt)) - killedAt).toBeLessThanOrEqual(5000);
    const record = await t.mesh.state().record(runId);
    expect(record?.tasks.map((t) => [t.status, t.attempts, t.runnerId])).toEqual(
      tasks.map(() => ['succeeded', 1, 'survivor']),
    );
  });
});
