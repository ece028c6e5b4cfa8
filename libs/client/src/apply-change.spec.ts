import { applyChange } from './apply-change';
import type { RunEvent, RunRecord } from './types';

const zero = { pending: 0, queued: 0, running: 0, succeeded: 0, failed: 0, skipped: 0, cancelled: 0 };
const snapshot: RunRecord = {
  runId: 'r1',
  workflow: 'etl',
  tenant: 'acme',
  status: 'queued',
  submittedAt: 1000,
  counts: { ...zero, pending: 1, queued: 1 },
  hardware: {},
  runners: {},
  tasks: [
    { id: 'a', kind: 'echo', status: 'queued', attempts: 1, waiting: { reason: 'no_runner', message: 'no runner' } },
    { id: 'b', kind: 'echo', status: 'pending', attempts: 0, waitingFor: ['a'] },
  ],
};
const change = (e: Partial<RunEvent> & Pick<RunEvent, 'type'>): RunEvent => ({
  runId: 'r1',
  workflow: 'etl',
  at: 0,
  ...e,
});

describe('applyChange', () => {
  it('when a batch of changes arrives, each is applied in order, and the counts follow the tasks', () => {
    const next = applyChange(
      snapshot,
      change({
        type: 'run-started',
        events: [
          { type: 'run-started', at: 2000, domain: 'gpu' },
          { type: 'task-started', at: 2001, taskId: 'a', runnerId: 'gpu-1', attempt: 1 },
          { type: 'task-failed', at: 2002, taskId: 'a', runnerId: 'gpu-1', attempt: 1, error: 'boom' },
          { type: 'task-retrying', at: 2003, taskId: 'a', attempt: 1 },
        ],
      }),
    );
    expect(next).toMatchObject({
      status: 'running',
      startedAt: 2000,
      domain: 'gpu',
      counts: { ...zero, pending: 1, queued: 1 },
    });
    expect(next.tasks[0]).toEqual({ id: 'a', kind: 'echo', status: 'queued', attempts: 2, queuedAt: 2003 });
    expect(snapshot.tasks[0]?.status).toBe('queued');
  });

  it('when tasks end and the run ends, the record shows their runners, errors, times and the run status', () => {
    let r = applyChange(snapshot, change({ type: 'task-started', at: 5, taskId: 'a', runnerId: 'cpu-1', attempt: 1 }));
    r = applyChange(r, change({ type: 'task-succeeded', at: 6, taskId: 'a', runnerId: 'cpu-1', attempt: 1 }));
    r = applyChange(r, change({ type: 'task-skipped', at: 7, taskId: 'b', error: 'dependency a failed' }));
    r = applyChange(r, change({ type: 'run-failed', at: 8, error: 'task b: x' }));
    expect(r.tasks.map((t) => [t.id, t.status, t.runnerId, t.startedAt, t.finishedAt, t.error, t.waitingFor])).toEqual([
      ['a', 'succeeded', 'cpu-1', 5, 6, undefined, undefined],
      ['b', 'skipped', undefined, undefined, 7, 'dependency a failed', undefined],
    ]);
    expect(r).toMatchObject({
      status: 'failed',
      finishedAt: 8,
      error: 'task b: x',
      counts: { ...zero, succeeded: 1, skipped: 1 },
    });
  });

  it('when a change is older than the record (an earlier attempt, or a step back in the same one), nothing changes', () => {
    const running: RunRecord = {
      ...snapshot,
      status: 'running',
      tasks: [
        { id: 'a', kind: 'echo', status: 'running', attempts: 2, runnerId: 'cpu-1', startedAt: 50 },
        { id: 'b', kind: 'echo', status: 'succeeded', attempts: 1, finishedAt: 40 },
      ],
    };
    const stale = [
      change({ type: 'task-dispatched', at: 10, taskId: 'a', attempt: 2 }),
      change({ type: 'task-retrying', at: 9, taskId: 'a', attempt: 1 }),
      change({ type: 'task-failed', at: 8, taskId: 'a', attempt: 1 }),
      change({ type: 'task-started', at: 30, taskId: 'b', attempt: 1 }),
    ];
    for (const c of stale) expect(applyChange(running, c).tasks).toEqual(running.tasks);
    // The same attempt moving on is applied.
    const done = applyChange(running, change({ type: 'task-succeeded', at: 60, taskId: 'a', attempt: 2 }));
    expect(done.tasks[0]).toMatchObject({ status: 'succeeded', attempts: 2, finishedAt: 60 });
  });

  it('when the run is cancelled, every task that had not ended ends cancelled with it', () => {
    const started = applyChange(snapshot, change({ type: 'task-started', at: 5, taskId: 'a', attempt: 1 }));
    const r = applyChange(started, change({ type: 'run-cancelled', at: 9, error: 'cancelled' }));
    expect(r.tasks.map((t) => [t.id, t.status, t.finishedAt])).toEqual([
      ['a', 'cancelled', 9],
      ['b', 'cancelled', 9],
    ]);
    expect(r).toMatchObject({ status: 'cancelled', finishedAt: 9, counts: { ...zero, cancelled: 2 } });
  });

  it('when a change is of a type it does not know, or names an unknown task, nothing changes but the copy', () => {
    const r = applyChange(snapshot, change({ type: 'task-teleported', taskId: 'a' }));
    expect(applyChange(r, change({ type: 'task-started', taskId: 'zz' }))).toEqual(snapshot);
  });
});
