import { randomUUID } from 'node:crypto';
import { decodeEntry } from '@mesh/mesh-protocol';
import { readAcks, sample, useMesh } from '@mesh/mesh-harness';
import type { RunRecord } from '@mesh/run-state';
import { AclUser, eventually } from '@mesh/testing';

const RUNS = 4;
const FAN_OUT = 1000;

const t = useMesh('supervisor-kill');

let acl: AclUser;
beforeEach(() => {
  acl = new AclUser();
});
afterEach(async () => {
  await acl.remove();
});

describe('one of two supervisors killed mid-run', () => {
  it(`when one of two supervisors is SIGKILLed with ${RUNS} fan-outs of ${FAN_OUT} tasks in flight, the other finishes every run, loses nothing, runs a task twice only where it was published twice, and its counters equal the records`, async () => {
    const settings = { SUPERVISOR_TRIM_INTERVAL_MS: '0' };
    // The doomed supervisor connects as a user of this test whose XACKs Redis refuses: it does all the work of
    // a batch but cannot ack it, as if it died just before, and it is killed in that state.
    const url = await acl.create(t.ctx.prefix);
    await acl.refuse(['xack']);
    // It never reclaims (a long claim idle): taking back its own unacked entries would count deliveries, and
    // on a slow machine push the first submission past its delivery limit before it is killed.
    const doomed = await t.mesh.supervisor('sup-a', {
      ...settings,
      REDIS_URL: url,
      SUPERVISOR_CLAIM_IDLE_MS: '600000',
    });
    // A registration only (its runner starts later), so that the supervisors publish at once.
    const now = Date.now();
    const placeholder = {
      runnerId: 'early',
      domain: 'default',
      startedAt: now,
      lastSeen: now,
      leaseMs: 600_000,
      hardware: null,
    };
    await t.ctx.redis.hset(t.mesh.keys.runners, 'early', JSON.stringify(placeholder));
    // Each run fans out at once (its start publishes 1,000 assignments), then one task joins the fan-out.
    const tasks = [
      ...Array.from({ length: FAN_OUT }, (_, i) => ({ id: `t${i}`, kind: 'echo' })),
      { id: 'join', kind: 'echo', dependsOn: Array.from({ length: FAN_OUT }, (_, i) => `t${i}`) },
    ];
    // The first run is submitted while the doomed supervisor is the only one, so it takes it: it is killed with
    // that fan-out published and its submission unacked. The survivor starts only then, beside it. No runner
    // runs yet, so the doomed one applied no ack and ended no run: the survivor counts all.
    const runs = [await t.mesh.submit('fan', 'acme', tasks, randomUUID())];
    await eventually(() => doomed.records.find((l) => l['msg'] === 'run started' && l['runId'] === runs[0]));
    await eventually(() => doomed.records.find((l) => JSON.stringify(l['err'] ?? '').includes('NOPERM')));
    const survivor = await t.mesh.supervisor('sup-b', settings);
    await doomed.stop('SIGKILL');
    while (runs.length < RUNS) runs.push(await t.mesh.submit('fan', 'acme', tasks, randomUUID()));
    await t.mesh.runner('cpu-1', 'default', { RUNNER_CONCURRENCY: '32' });
    await t.mesh.runner('cpu-2', 'default', { RUNNER_CONCURRENCY: '32' });

    const ends = await t.mesh.allEnded(runs);
    // Every duplicate run elsewhere has been acked and read too: the streams and counters hold still.
    await t.mesh.quiet();
    expect(ends.map((e) => e.type)).toEqual(runs.map(() => 'run-succeeded'));
    const records = (await Promise.all(runs.map((id) => t.mesh.state().record(id)))) as RunRecord[];
    const all = records.flatMap((r) => r.tasks.map((task) => ({ ...task, runId: r.runId })));
    expect(all.filter((task) => task.status !== 'succeeded' || task.attempts !== 1)).toEqual([]);

    // At least once, and twice only where the assignment went out twice (a replay of the dead one's work).
    const key = (runId: string, taskId: string): string => `${runId}|${taskId}`;
    const count = (keys: string[]): Map<string, number> => {
      const m = new Map<string, number>();
      for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
      return m;
    };
    const acks = await readAcks(t.ctx.redis, t.mesh.keys.acks);
    const acked = count(acks.map((a) => key(a.runId, a.taskId)));
    const entries = await t.ctx.redis.xrange(t.mesh.keys.assignments('default'), '-', '+');
    const published = count(
      entries.flatMap(([, f]) => {
        const d = decodeEntry('assignment', f);
        return d.ok ? [key(d.message.runId, d.message.taskId)] : [];
      }),
    );
    const overRun = all
      .map((task) => key(task.runId, task.id))
      .filter((k) => !acked.get(k) || (acked.get(k) ?? 0) > (published.get(k) ?? 0));
    expect(overRun).toEqual([]);

    // The survivor applied every ack and ended every run: its counters are the records.
    const text = await t.mesh.metrics(survivor);
    expect(sample(text, 'supervisor_workflow_events_total{workflow="fan",outcome="success"}')).toBe(runs.length);
    expect(sample(text, 'supervisor_workflow_events_total{workflow="fan",outcome="failure"}')).toBe(0);
    expect(sample(text, 'supervisor_workflow_latency_samples_total{workflow="fan"}')).toBe(runs.length);
    const perWorker = (metric: string): number =>
      ['cpu-1', 'cpu-2'].reduce((n, w) => n + sample(text, `${metric}{worker="${w}"}`), 0);
    expect(perWorker('supervisor_worker_latency_samples_total')).toBe(all.length);
    expect(perWorker('supervisor_worker_task_failures_total')).toBe(0);
    expect(sample(text, 'supervisor_duplicate_acks_total')).toBe(acks.length - all.length);
    expect(sample(text, 'supervisor_pending_queue_depth')).toBe(0);
    expect(await t.ctx.redis.zcard(t.mesh.keys.schedule)).toBe(0);
  }, 240_000);
});
