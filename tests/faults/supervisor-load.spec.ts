import { randomUUID } from 'node:crypto';
import { readAcks, sample, useMesh } from '@mesh/mesh-harness';
import type { RunRecord } from '@mesh/run-state';
import { eventually } from '@mesh/testing';

// 10,000 tasks: ten runs of 1,000. 1% fail: twenty tasks in each of the first five runs, half of them with a retry.
const RUNS = 10;
const TASKS_PER_RUN = 1000;
const FAILING_PER_RUN = 20;
const FAILING_RUNS = 5;
const RUNNER = { RUNNER_CONCURRENCY: '32', RUNNER_CLAIM_IDLE_MS: '1000' };

const t = useMesh('supervisor-load');

describe('supervisor counters under load with faults', () => {
  it('when 10,000 tasks (1% failing) run over three runners and one runner is killed and restarted midway, every counter equals what the records say', async () => {
    // One supervisor that never reclaims its own batches (a long claim idle) and never trims: every stream keeps
    // what happened, to compare with.
    const sup = await t.mesh.supervisor('sup-1', {
      SUPERVISOR_CLAIM_IDLE_MS: '60000',
      SUPERVISOR_TRIM_INTERVAL_MS: '0',
    });
    await t.mesh.runner('cpu-1', 'default', RUNNER);
    await t.mesh.runner('cpu-2', 'default', RUNNER);
    const victim = await t.mesh.runner('cpu-3', 'default', RUNNER);
    const runs: string[] = [];
    for (let r = 0; r < RUNS; r++) {
      const tasks = Array.from({ length: TASKS_PER_RUN }, (_, i) => {
        const failing = r < FAILING_RUNS && i % (TASKS_PER_RUN / FAILING_PER_RUN) === 0;
        return failing
          ? {
              id: `t${i}`,
              kind: 'fail',
              payload: { message: `bad ${i}` },
              retries: (i / (TASKS_PER_RUN / FAILING_PER_RUN)) % 2,
            }
          : { id: `t${i}`, kind: 'echo', payload: { i } };
      });
      runs.push(await t.mesh.submit(`load-${r % 2}`, 'acme', tasks, randomUUID()));
    }

    // Midway, one runner dies with work in flight and comes back under the same id.
    await eventually(async () => {
      const acks = (await t.ctx.redis.xinfo('STREAM', t.mesh.keys.acks).catch(() => [])) as Array<string | number>;
      return Number(acks[acks.indexOf('entries-added') + 1] ?? 0) > 40 ? true : undefined;
    });
    await victim.stop('SIGKILL');
    await t.mesh.runner('cpu-3', 'default', RUNNER);

    const ends = await t.mesh.allEnded(runs);
    // Every duplicate run elsewhere has been acked and read too: the streams and counters hold still.
    await t.mesh.quiet();
    const records = (await Promise.all(runs.map((id) => t.mesh.state().record(id)))) as RunRecord[];
    const tasks = records.flatMap((r) => r.tasks);
    const attempts = tasks.reduce((n, task) => n + task.attempts, 0);
    const failedAttempts = tasks.filter((task) => task.kind === 'fail').reduce((n, task) => n + task.attempts, 0);

    // The records: every echo succeeded once, every failing task failed after its retries, runs end as they should.
    expect(tasks).toHaveLength(RUNS * TASKS_PER_RUN);
    expect(
      tasks.filter((task) => task.kind === 'echo' && (task.status !== 'succeeded' || task.attempts !== 1)),
    ).toEqual([]);
    expect(tasks.filter((task) => task.kind === 'fail').map((task) => task.status)).toEqual(
      Array(FAILING_RUNS * FAILING_PER_RUN).fill('failed'),
    );
    expect(failedAttempts).toBe(FAILING_RUNS * FAILING_PER_RUN * 1.5);
    expect(records.map((r) => r.status)).toEqual(runs.map((_, r) => (r < FAILING_RUNS ? 'failed' : 'succeeded')));
    expect(ends.map((e) => e.type)).toEqual(records.map((r) => `run-${r.status}`));

    // The counters, exactly.
    const text = await t.mesh.metrics(sup);
    const workers = ['cpu-1', 'cpu-2', 'cpu-3'];
    const perWorker = (metric: string): number =>
      workers.reduce((n, w) => n + sample(text, `${metric}{worker="${w}"}`), 0);
    const runsOf = (workflow: string, status: string): number =>
      records.filter((r) => r.workflow === workflow && r.status === status).length;
    for (const workflow of ['load-0', 'load-1'])
      expect([
        workflow,
        sample(text, `supervisor_workflow_events_total{workflow="${workflow}",outcome="success"}`),
        sample(text, `supervisor_workflow_events_total{workflow="${workflow}",outcome="failure"}`),
        sample(text, `supervisor_workflow_latency_samples_total{workflow="${workflow}"}`),
      ]).toEqual([
        workflow,
        runsOf(workflow, 'succeeded'),
        runsOf(workflow, 'failed'),
        runsOf(workflow, 'succeeded') + runsOf(workflow, 'failed'),
      ]);
    expect(perWorker('supervisor_worker_task_failures_total')).toBe(failedAttempts);
    expect(perWorker('supervisor_worker_latency_samples_total')).toBe(attempts);
    // Each attempt published at least once, and each publish counted once: a batch replayed under load (a
    // supervisor read its batch again before acking it) republishes what it queued, which is at-least-once.
    // Each ack is applied once: the rest are duplicates of the killed runner's work, run again elsewhere.
    const dispatch = (status: string): number => sample(text, `supervisor_mesh_dispatch_total{status="${status}"}`);
    expect([dispatch('retry'), dispatch('failure'), dispatch('missing')]).toEqual([0, 0, 0]);
    expect(dispatch('success')).toBe(await t.ctx.redis.xlen(t.mesh.keys.assignments('default')));
    expect(dispatch('success')).toBeGreaterThanOrEqual(attempts);
    const acks = await readAcks(t.ctx.redis, t.mesh.keys.acks);
    expect(sample(text, 'supervisor_duplicate_acks_total')).toBe(acks.length - attempts);
    expect(sample(text, 'supervisor_pending_queue_depth')).toBe(0);
    expect(await t.ctx.redis.zcard(t.mesh.keys.schedule)).toBe(0);
  }, 240_000);
});
