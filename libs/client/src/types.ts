/**
 * The orchestrator HTTP API's types (docs/api.md, docs/openapi.yaml), as its clients see them. They mirror
 * the server's own (libs/run-state record.ts, libs/mesh-protocol messages) without importing them, so that
 * a browser bundle of this client never pulls in the server's Redis code.
 */

/** Epoch milliseconds. */
export type EpochMs = number;

export const RUN_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export const TASK_STATUSES = ['pending', 'queued', 'running', 'succeeded', 'failed', 'skipped', 'cancelled'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** Whether a run in this status never changes again. */
export function isFinalRunStatus(status: RunStatus): boolean {
  return status === 'succeeded' || status === 'failed' || status === 'cancelled';
}

/** `POST /workflow` body. */
export interface WorkflowRequest {
  readonly workflow: string;
  readonly tenant: string;
  readonly tasks: ReadonlyArray<WorkflowTask>;
}

export interface WorkflowTask {
  readonly id: string;
  /** `sleep`, `echo`, `fail`, `exec`, or a kind a runner module adds. */
  readonly kind: string;
  readonly payload?: unknown;
  readonly dependsOn?: readonly string[];
  /** 0 to 100 (default 0). */
  readonly retries?: number;
  /** Start-to-close, per attempt (default 300000). */
  readonly timeoutMs?: number;
  /** Schedule-to-start: an attempt not picked up within it fails (default: none). */
  readonly queueTimeoutMs?: number;
  /** Run in this domain (not with `requires`). */
  readonly domain?: string;
  /** Run in a domain whose live runners have this hardware (not with `domain`). */
  readonly requires?: TaskRequirements;
}

/** The hardware a task needs: GPUs (how many, a model name they contain), memory, CPU cores. Every field named must hold. */
export interface TaskRequirements {
  readonly gpu?: { readonly count?: number; readonly model?: string };
  readonly memoryBytes?: number;
  readonly cpuCores?: number;
}

/** The answer to a submission or a re-run (202). */
export interface Accepted {
  readonly runId: string;
  readonly workflow: string;
  readonly status: 'queued';
  /** For a re-run: the run it runs again. */
  readonly rerunOf?: string;
  readonly links: { readonly run: string };
}

/** What a runner reports of its machine. Unknown facts are null or absent; producers may add fields. */
export interface HardwareSnapshot {
  readonly runnerId?: string;
  readonly cpu?: {
    readonly vendor?: string;
    readonly model?: string;
    readonly physicalCores?: number;
    readonly logicalCores?: number;
    readonly arch?: string;
  } | null;
  readonly memory?: { readonly totalBytes?: number } | null;
  readonly gpus?: ReadonlyArray<{
    readonly index: number;
    readonly vendor?: string;
    readonly model?: string;
    readonly vramBytes?: number | null;
    readonly driver?: string | null;
    readonly busId?: string | null;
  }>;
  readonly os?: {
    readonly platform?: string;
    readonly distro?: string;
    readonly release?: string;
    readonly kernel?: string;
    readonly hostname?: string;
  } | null;
  readonly collectedAt?: EpochMs;
  readonly errors?: readonly string[];
}

/** Why a task that has not started waits. */
export interface TaskWaiting {
  /** `dependencies`, `no_runner` (none live in its domain), `backoff` (before a retry), `queue` (published). */
  readonly reason: 'dependencies' | 'no_runner' | 'backoff' | 'queue' | (string & {});
  /** The reason in words, ready to show. */
  readonly message: string;
  /** `no_runner`: since when no runner of its domain is live. */
  readonly since?: EpochMs;
  /** `backoff`: when the next attempt may start. */
  readonly until?: EpochMs;
  /** `queue`: how many assignments of its domain are in front of it. */
  readonly ahead?: number;
}

/** One task of a run. Its hardware is the run's `runners[runnerId]`. */
export interface TaskRecord {
  readonly id: string;
  readonly kind: string;
  readonly status: TaskStatus;
  /** The current attempt; 0 for a task that never became ready. */
  readonly attempts: number;
  readonly domain?: string;
  /**
   * Which rule routed it: `domain` (the task named its domain), `requires` (a domain whose live runners have
   * the hardware it requires), `override` (its tenant's route) or `default`.
   */
  readonly route?: 'domain' | 'requires' | 'override' | 'default' | (string & {});
  /** The hardware it requires, when it named some. */
  readonly requires?: TaskRequirements;
  /** The runner that executes or executed the current attempt. */
  readonly runnerId?: string;
  /** The output of the successful attempt. */
  readonly output?: unknown;
  readonly error?: string;
  /** The tasks it depends on (absent when none). */
  readonly dependsOn?: readonly string[];
  /** In a re-run: it succeeded in the run this one re-runs, and its output was taken over. */
  readonly reused?: true;
  /** Why it has not started yet. */
  readonly waiting?: TaskWaiting;
  /** For a pending task: the dependencies that have not succeeded yet. */
  readonly waitingFor?: readonly string[];
  readonly queuedAt?: EpochMs;
  readonly startedAt?: EpochMs;
  readonly finishedAt?: EpochMs;
}

/** A run without its tasks, as lists return it. */
export interface RunSummary {
  readonly runId: string;
  readonly workflow: string;
  readonly tenant: string;
  readonly status: RunStatus;
  readonly domain?: string;
  /** `override` when a tenant route chose the domain, else `default`. */
  readonly route?: 'override' | 'default' | (string & {});
  readonly submittedAt: EpochMs;
  readonly startedAt?: EpochMs;
  readonly finishedAt?: EpochMs;
  readonly error?: string;
  readonly rerunOf?: string;
  /** How many tasks are in each status. */
  readonly counts: Readonly<Record<TaskStatus, number>>;
}

/** A whole run, as `GET /workflows/{id}/runs/{runId}` returns it. */
export interface RunRecord extends RunSummary {
  /** The hardware of the run's domain's live runners when it started, by runner id ({} before). */
  readonly hardware: Readonly<Record<string, HardwareSnapshot>>;
  /** The hardware of each runner that executed a task of the run, by runner id. */
  readonly runners: Readonly<Record<string, HardwareSnapshot>>;
  readonly tasks: readonly TaskRecord[];
}

/** One page of runs. */
export interface RunPage {
  readonly runs: readonly RunSummary[];
  /** Pass it back as `cursor` for the next page; null on the last page. */
  readonly nextCursor: string | null;
}

/** One change of a run, as its feed (`mesh:run-events`) carries it. Readers skip types they do not know. */
export interface RunEvent {
  readonly runId: string;
  readonly workflow: string;
  readonly type: RunEventType;
  readonly at: EpochMs;
  readonly taskId?: string;
  readonly runnerId?: string;
  readonly attempt?: number;
  readonly domain?: string;
  readonly error?: string;
  /** When the entry holds several changes: all of them, in order. */
  readonly events?: ReadonlyArray<Omit<RunEvent, 'runId' | 'workflow' | 'events'>>;
}

export type RunEventType =
  | 'run-started'
  | 'task-dispatched'
  | 'task-started'
  | 'task-succeeded'
  | 'task-failed'
  | 'task-retrying'
  | 'task-skipped'
  | 'task-cancelled'
  | 'run-succeeded'
  | 'run-failed'
  | 'run-cancelled'
  | 'batch'
  | (string & {});

/** What `follow` yields: the run first, then each change, then the run as it ended. */
export type FollowEvent =
  | { readonly type: 'snapshot'; readonly record: RunRecord }
  | { readonly type: 'change'; readonly id: string; readonly event: RunEvent }
  | { readonly type: 'end'; readonly record: RunRecord };
