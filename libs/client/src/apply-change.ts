import {
  TASK_STATUSES,
  type RunEvent,
  type RunRecord,
  type RunStatus,
  type TaskRecord,
  type TaskStatus,
} from './types';

type Change = Omit<RunEvent, 'runId' | 'workflow' | 'events'>;

const TASK_STATUS_OF: Readonly<Record<string, TaskStatus>> = {
  'task-dispatched': 'queued',
  'task-retrying': 'queued',
  'task-started': 'running',
  'task-succeeded': 'succeeded',
  'task-failed': 'failed',
  'task-skipped': 'skipped',
  'task-cancelled': 'cancelled',
};

/** How far along its attempt a task is: a change that would move it back is older than the record. */
const RANK: Readonly<Record<TaskStatus, number>> = {
  pending: 0,
  queued: 1,
  running: 2,
  succeeded: 3,
  failed: 3,
  skipped: 3,
  cancelled: 3,
};

const RUN_STATUS_OF: Readonly<Record<string, RunStatus>> = {
  'run-started': 'running',
  'run-succeeded': 'succeeded',
  'run-failed': 'failed',
  'run-cancelled': 'cancelled',
};

/**
 * The run record after one `change` of its feed, as far as the change tells (statuses, runners, times,
 * errors; never outputs): what a live view shows between a `snapshot` and the `end` that settles it.
 * A batched change is applied event by event; types it does not know change nothing. A change older than
 * what the record shows (an earlier attempt, or a step back within the same attempt: a stream may deliver
 * changes made before its snapshot) changes nothing either. `task-retrying` names the attempt that failed;
 * the task is then queued for the next one.
 */
export function applyChange(record: RunRecord, event: RunEvent): RunRecord {
  const changes: readonly Change[] = event.events ?? [event];
  let run: { -readonly [K in keyof RunRecord]: RunRecord[K] } = { ...record };
  const tasks = new Map(record.tasks.map((t) => [t.id, t]));
  for (const c of changes) {
    const runStatus = RUN_STATUS_OF[c.type];
    if (runStatus) {
      run = { ...run, status: runStatus };
      if (c.type === 'run-started') {
        run.startedAt ??= c.at;
        if (c.domain) run.domain = c.domain;
      } else run.finishedAt ??= c.at;
      if (c.error) run.error = c.error;
      // A cancel ends every task that had not ended with the run (the feed has no event per task for it).
      if (c.type === 'run-cancelled')
        for (const [id, t] of tasks)
          if (RANK[t.status] < RANK.succeeded) {
            const next: { -readonly [K in keyof TaskRecord]: TaskRecord[K] } = {
              ...t,
              status: 'cancelled',
              finishedAt: c.at,
            };
            delete next.waiting;
            tasks.set(id, next);
          }
      continue;
    }
    const status = TASK_STATUS_OF[c.type];
    const task = c.taskId === undefined ? undefined : tasks.get(c.taskId);
    if (!status || !task) continue;
    const attempt =
      c.type === 'task-retrying' && c.attempt !== undefined ? c.attempt + 1 : (c.attempt ?? task.attempts);
    if (attempt < task.attempts || (attempt === task.attempts && RANK[status] < RANK[task.status])) continue;
    const next: { -readonly [K in keyof TaskRecord]: TaskRecord[K] } = { ...task, status };
    delete next.waiting;
    delete next.waitingFor;
    if (status === 'queued') {
      // A new attempt: what the last one did is history.
      for (const k of ['runnerId', 'startedAt', 'finishedAt', 'error'] as const) delete next[k];
      next.queuedAt = c.at;
    }
    if (c.attempt !== undefined) next.attempts = attempt;
    if (c.runnerId) next.runnerId = c.runnerId;
    if (status === 'running') next.startedAt = c.at;
    if (status !== 'queued' && status !== 'running') next.finishedAt = c.at;
    if (c.error) next.error = c.error;
    tasks.set(task.id, next);
  }
  const counts = Object.fromEntries(TASK_STATUSES.map((s) => [s, 0])) as Record<TaskStatus, number>;
  for (const t of tasks.values()) counts[t.status]++;
  return { ...run, tasks: [...tasks.values()], counts };
}
