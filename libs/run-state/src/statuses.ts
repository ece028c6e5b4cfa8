/**
 * The one lifecycle of runs and tasks, used by every service, the HTTP API, the Lua scripts and the docs.
 *
 * A run is `queued` once accepted, `running` once a supervisor took it, and ends `succeeded` (every task
 * succeeded), `failed` (a task failed for good) or `cancelled`.
 *
 * A task is `pending` while it waits for its dependencies, `queued` once it may run (its assignment is
 * published or about to be, or it waits for a retry's backoff or for a runner of its domain), `running`
 * once a runner picked it up, and ends `succeeded`, `failed`, `skipped` (a dependency failed) or `cancelled`.
 */
export const RUN_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export const TASK_STATUSES = ['pending', 'queued', 'running', 'succeeded', 'failed', 'skipped', 'cancelled'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

const FINAL_RUN: ReadonlySet<RunStatus> = new Set(['succeeded', 'failed', 'cancelled']);
const FINAL_TASK: ReadonlySet<TaskStatus> = new Set(['succeeded', 'failed', 'skipped', 'cancelled']);

export function isRunStatus(value: unknown): value is RunStatus {
  return typeof value === 'string' && (RUN_STATUSES as readonly string[]).includes(value);
}

export function isTaskStatus(value: unknown): value is TaskStatus {
  return typeof value === 'string' && (TASK_STATUSES as readonly string[]).includes(value);
}

/** Whether a run in this status will never change again. */
export function isFinalRunStatus(status: RunStatus): boolean {
  return FINAL_RUN.has(status);
}

/** Whether a task in this status will never change again (within its run). */
export function isFinalTaskStatus(status: TaskStatus): boolean {
  return FINAL_TASK.has(status);
}
