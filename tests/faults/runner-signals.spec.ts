import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readAcks, sample, useMesh } from '@mesh/mesh-harness';
import { GROUPS, type Ack } from '@mesh/mesh-protocol';
import { eventually, TEST_DEADLINE_MS, type ServiceProcess } from '@mesh/testing';

/*
 * Runners receiving signals with work in flight, as built processes with a real supervisor. Tasks of kind `gate`
 * hold until a file exists on a runner loaded with the waiting handler, and finish at once on one loaded with the
 * instant handler, so which runner holds which task is decided by the test, not by the machine's speed.
 * (apps/supervisor/test/leases.spec.ts covers the SIGKILL recovery time; these assert the end state.)
 */

const t = useMesh('fault-runner-signals');
const TASKS = 6;

function handlerModules(): { waiting: string; instant: string; gate: string } {
  const dir = mkdtempSync(join(tmpdir(), 'mesh-signals-'));
  const waiting = join(dir, 'waiting.js');
  const instant = join(dir, 'instant.js');
  writeFileSync(
    waiting,
    `const { existsSync } = require('node:fs');
exports.handlers = [{
  kind: 'gate',
  run: (p, ctx) => new Promise((resolve, reject) => {
    const timer = setInterval(() => { if (existsSync(p.gate)) { clearInterval(timer); resolve({ waited: true }); } }, 10);
    ctx.signal.addEventListener('abort', () => { clearInterval(timer); reject(ctx.signal.reason); }, { once: true });
  }),
}];
`,
  );
  writeFileSync(instant, `exports.handlers = [{ kind: 'gate', run: async () => ({ waited: false }) }];\n`);
  return { waiting, instant, gate: join(dir, 'open') };
}

const stream = (): string => t.mesh.keys.assignments('default');

/** Entries pending in the runners group, for one consumer or all. */
async function pendingOf(consumer?: string): Promise<string[]> {
  const rows = (await (consumer
    ? t.ctx.redis.xpending(stream(), GROUPS.runners, '-', '+', 1000, consumer)
    : t.ctx.redis.xpending(stream(), GROUPS.runners, '-', '+', 1000))) as Array<[string]>;
  return rows.map(([id]) => id);
}

/** Waits until nothing is pending in the runners group (a runner XACKs just after writing its report). */
async function noPending(): Promise<void> {
  await eventually(async () => ((await pendingOf()).length === 0 ? true : undefined));
}

async function acksOf(runId: string): Promise<Ack[]> {
  return (await readAcks(t.ctx.redis, t.mesh.keys.acks)).filter((a) => a.runId === runId);
}

/** `assignment done` log records of a runner for a run, as [taskId, deliveries]. */
const done = (p: ServiceProcess, runId: string): Array<[unknown, unknown]> =>
  p.records
    .filter((r) => r['msg'] === 'assignment done' && r['runId'] === runId)
    .map((r) => [r['taskId'], r['deliveries']]);

const gateTasks = (gate: string) =>
  Array.from({ length: TASKS }, (_, i) => ({ id: `t${i}`, kind: 'gate', payload: { gate }, timeoutMs: 600_000 }));

describe('runner signals, with a real supervisor', () => {
  it('when a runner gets SIGTERM mid-work, its in-flight tasks finish and are acked by it, nothing is delivered twice, and it exits 0', async () => {
    const m = handlerModules();
    const sup = await t.mesh.supervisor('sup-1');
    const env = { RUNNER_CLAIM_IDLE_MS: '1000', RUNNER_HANDLERS_MODULE: m.waiting };
    // Per-assignment log lines are at debug.
    const leaving = await t.mesh.runner('leaving', 'default', { ...env, RUNNER_CONCURRENCY: '2', LOG_LEVEL: 'debug' });
    const runId = await t.mesh.submit('drain', 'acme', gateTasks(m.gate));
    await eventually(async () => ((await pendingOf('leaving')).length === 2 ? true : undefined));
    const staying = await t.mesh.runner('staying', 'default', { ...env, RUNNER_CONCURRENCY: '8', LOG_LEVEL: 'debug' });
    const heldAtSigterm = await pendingOf('leaving');

    const exited = leaving.stop('SIGTERM');
    // Draining: not ready, still running its two tasks; then they may finish.
    await eventually(async () =>
      (await fetch(`http://127.0.0.1:${leaving.port}/readyz`)).status === 503 ? true : undefined,
    );
    writeFileSync(m.gate, 'open');
    expect(await exited).toBe(0);
    expect(await t.ctx.redis.hexists(t.mesh.keys.runners, 'leaving')).toBe(0);

    expect((await t.mesh.finished(runId)).type).toBe('run-succeeded');
    const acks = await acksOf(runId);
    // Exactly once each: no ack twice, no task on both runners, every delivery the first.
    expect(acks.map((a) => a.taskId).sort()).toEqual(gateTasks(m.gate).map((x) => x.id));
    const byLeaving = acks.filter((a) => a.runnerId === 'leaving');
    expect(byLeaving).toHaveLength(heldAtSigterm.length);
    expect(byLeaving.every((a) => a.success)).toBe(true);
    expect([...done(leaving, runId), ...done(staying, runId)].every(([, deliveries]) => deliveries === 1)).toBe(true);
    const record = await t.mesh.state().record(runId);
    expect(record?.status).toBe('succeeded');
    expect(record?.tasks.every((x) => x.status === 'succeeded' && x.attempts === 1)).toBe(true);
    expect(record?.tasks.filter((x) => x.runnerId === 'leaving')).toHaveLength(heldAtSigterm.length);
    await noPending();
    expect(await t.ctx.redis.xlen(t.mesh.keys.dead)).toBe(0);
    const text = await t.mesh.metrics(sup);
    expect(sample(text, 'supervisor_duplicate_acks_total')).toBe(0);
    expect(sample(text, 'supervisor_worker_latency_samples_total{worker="leaving"}')).toBe(heldAtSigterm.length);
    expect(sample(text, 'supervisor_mesh_dispatch_total{status="success"}')).toBe(TASKS);
  });

  it('when a runner is SIGSTOPped with work in flight, its work moves to the other runner and succeeds; after SIGCONT its late acks are counted as duplicates and change nothing', async () => {
    const m = handlerModules();
    const sup = await t.mesh.supervisor('sup-1');
    const lease = { RUNNER_CLAIM_IDLE_MS: '500', RUNNER_CONCURRENCY: String(TASKS) };
    const stalled = await t.mesh.runner('stalled', 'default', { ...lease, RUNNER_HANDLERS_MODULE: m.waiting });
    const runId = await t.mesh.submit('stall', 'acme', gateTasks(m.gate));
    await eventually(async () => ((await pendingOf('stalled')).length === TASKS ? true : undefined));
    stalled.child.kill('SIGSTOP');
    try {
      await t.mesh.runner('healthy', 'default', { ...lease, RUNNER_HANDLERS_MODULE: m.instant });
      expect((await t.mesh.finished(runId)).type).toBe('run-succeeded');
      const record = await t.mesh.state().record(runId);
      expect(record?.tasks.map((x) => [x.id, x.status, x.attempts, x.runnerId])).toEqual(
        gateTasks(m.gate).map((x) => [x.id, 'succeeded', 1, 'healthy']),
      );
      await noPending();
      // Under load the healthy runner may take an entry back from itself and ack it twice (at least once): each
      // of its extra acks is a duplicate once read, and nothing else is yet.
      const before = await eventually(async () => {
        const healthyAcks = (await acksOf(runId)).filter((a) => a.runnerId === 'healthy').length;
        const text = await t.mesh.metrics(sup);
        return sample(text, 'supervisor_duplicate_acks_total') === healthyAcks - TASKS ? text : undefined;
      });
      const duplicatesBefore = sample(before, 'supervisor_duplicate_acks_total');

      // The stalled runner wakes up, its tasks finish there too, and it acks them late.
      writeFileSync(m.gate, 'open');
      stalled.child.kill('SIGCONT');
      // Woken after a long stop, the runner first remakes its Redis connection (it timed out meanwhile) and its
      // report writes back off up to 5 s: on a loaded machine that can outlast the usual deadline.
      await eventually(
        async () => ((await acksOf(runId)).filter((a) => a.runnerId === 'stalled').length === TASKS ? true : undefined),
        2 * TEST_DEADLINE_MS,
      );
      const after = await eventually(async () => {
        const text = await t.mesh.metrics(sup);
        return sample(text, 'supervisor_duplicate_acks_total') === duplicatesBefore + TASKS ? text : undefined;
      });
      expect(await t.mesh.state().record(runId)).toEqual(record);
      for (const series of [
        'supervisor_worker_latency_samples_total{worker="healthy"}',
        'supervisor_worker_latency_samples_total{worker="stalled"}',
        'supervisor_workflow_events_total{workflow="stall",outcome="success"}',
        'supervisor_mesh_dispatch_total{status="success"}',
      ])
        expect([series, sample(after, series)]).toEqual([series, sample(before, series)]);
      expect((await t.mesh.events(runId)).filter((e) => e.type === 'run-succeeded')).toHaveLength(1);
      // It never takes work back: nothing is pending, and it is still up.
      await noPending();
      expect(stalled.child.exitCode).toBeNull();
    } finally {
      stalled.child.kill('SIGCONT');
    }
  });

  it('when a runner is SIGKILLed with work in flight, all of it completes on the other runner, once, and nothing is left pending', async () => {
    const m = handlerModules();
    const sup = await t.mesh.supervisor('sup-1');
    const lease = { RUNNER_CLAIM_IDLE_MS: '500', RUNNER_CONCURRENCY: String(TASKS) };
    const doomed = await t.mesh.runner('doomed', 'default', { ...lease, RUNNER_HANDLERS_MODULE: m.waiting });
    const runId = await t.mesh.submit('kill', 'acme', gateTasks(m.gate));
    await eventually(async () => ((await pendingOf('doomed')).length === TASKS ? true : undefined));
    await t.mesh.runner('survivor', 'default', { ...lease, RUNNER_HANDLERS_MODULE: m.instant });
    await doomed.stop('SIGKILL');

    expect((await t.mesh.finished(runId)).type).toBe('run-succeeded');
    const record = await t.mesh.state().record(runId);
    expect(record?.tasks.map((x) => [x.id, x.status, x.attempts, x.runnerId])).toEqual(
      gateTasks(m.gate).map((x) => [x.id, 'succeeded', 1, 'survivor']),
    );
    // At least once: under load the survivor may take an entry back from itself before its ack's XACK and ack
    // it again. Every task is acked by the survivor, successfully; each extra ack is counted as a duplicate.
    const acks = await acksOf(runId);
    expect([...new Set(acks.map((a) => JSON.stringify([a.taskId, a.runnerId, a.success])))].sort()).toEqual(
      gateTasks(m.gate).map((x) => JSON.stringify([x.id, 'survivor', true])),
    );
    await noPending();
    expect(await t.ctx.redis.xlen(t.mesh.keys.dead)).toBe(0);
    const text = await eventually(async () => {
      const exposition = await t.mesh.metrics(sup);
      return sample(exposition, 'supervisor_duplicate_acks_total') === acks.length - TASKS ? exposition : undefined;
    });
    expect(sample(text, 'supervisor_worker_latency_samples_total{worker="survivor"}')).toBe(TASKS);
    expect(sample(text, 'supervisor_worker_task_failures_total{worker="survivor"}')).toBe(0);
    expect(sample(text, 'supervisor_workflow_events_total{workflow="kill",outcome="success"}')).toBe(1);
  });
});
