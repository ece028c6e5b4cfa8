import { describeRequirements, type HardwareSnapshot, type TaskRequirements } from '@mesh/mesh-protocol';
import { TASK_STATUSES, type RunStatus, type TaskStatus } from './statuses';

/**
 * Why a task that has not started waits: for its dependencies (`waitingFor` names them), for a live runner of
 * its domain (since when), for a retry's backoff before attempt n (until when), or in its domain's queue
 * (published; `ahead`: about how many assignments of the domain were there before it).
 */
export interface TaskWaiting {
  readonly reason: 'dependencies' | 'no_runner' | 'backoff' | 'queue';
  /** One sentence for people, e.g. "no live runner in domain gpu since 12:01:02Z". */
  readonly message: string;
  readonly since?: number;
  readonly until?: number;
  readonly ahead?: number;
}

/** One task of a run, as the HTTP API shows it. Its hardware is `runners[runnerId]` of the run. */
export interface TaskRecord {
  readonly id: string;
  readonly kind: string;
  readonly status: TaskStatus;
  /** The current attempt (1 before the first retry); 0 for a task that never became ready. */
  readonly attempts: number;
  readonly domain?: string;
  /**
   * Which rule routed it: `domain` (the task named its domain), `requires` (a domain whose live runners have the
   * hardware it requires), `override` (its tenant's route) or `default`.
   */
  readonly route?: 'domain' | 'requires' | 'override' | 'default';
  /** The hardware it requires, when it named some. */
  readonly requires?: TaskRequirements;
  /** The runner that executes or executed the current attempt. */
  readonly runnerId?: string;
  /** The output of the successful attempt. */
  readonly output?: unknown;
  readonly error?: string;
  /** The tasks it depends on (absent when none). */
  readonly dependsOn?: string[];
  /** For a pending task: the dependencies that have not succeeded yet. */
  readonly waitingFor?: string[];
  /** Why it has not started yet (pending and queued tasks of a run that has not ended). */
  readonly waiting?: TaskWaiting;
  /** In a re-run: it succeeded in the run this one re-runs, and its output was taken over. */
  readonly reused?: true;
  readonly queuedAt?: number;
  readonly startedAt?: number;
  readonly finishedAt?: number;
}

/** A run without its tasks: what a list of runs returns. */
export interface RunSummary {
  readonly runId: string;
  readonly workflow: string;
  readonly tenant: string;
  readonly status: RunStatus;
  readonly domain?: string;
  /** `override` when a tenant route chose the domain, else `default`. */
  readonly route?: string;
  readonly submittedAt: number;
  readonly startedAt?: number;
  readonly finishedAt?: number;
  readonly error?: string;
  readonly rerunOf?: string;
  /** How many tasks are in each status. */
  readonly counts: Record<TaskStatus, number>;
}

/** A run as `GET /workflows/{id}/runs/{runId}` returns it. */
export interface RunRecord extends RunSummary {
  /** The hardware of the run's domain's live runners when the run started, by runner id ({} before). */
  readonly hardware: Record<string, HardwareSnapshot>;
  /** The hardware of each runner that executed a task of the run, by runner id, once each. */
  readonly runners: Record<string, HardwareSnapshot>;
  readonly tasks: TaskRecord[];
}

const num = (v: string | undefined): number | undefined => (v === undefined ? undefined : Number(v));

function parseJson<T>(text: string | undefined, fallback: T): T {
  if (text === undefined || text === '') return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

/** The summary of a run from its meta hash. */
export function renderSummary(meta: Record<string, string>): RunSummary {
  const counts = {} as Record<TaskStatus, number>;
  for (const s of TASK_STATUSES) counts[s] = Number(meta[`n:${s}`] ?? 0);
  return {
    runId: meta['runId'] as string,
    workflow: meta['workflow'] as string,
    tenant: meta['tenant'] as string,
    status: meta['status'] as RunStatus,
    ...(meta['domain'] ? { domain: meta['domain'] } : {}),
    ...(meta['route'] ? { route: meta['route'] } : {}),
    submittedAt: Number(meta['submittedAt']),
    ...(meta['startedAt'] ? { startedAt: Number(meta['startedAt']) } : {}),
    ...(meta['finishedAt'] ? { finishedAt: Number(meta['finishedAt']) } : {}),
    ...(meta['error'] ? { error: meta['error'] } : {}),
    ...(meta['rerunOf'] ? { rerunOf: meta['rerunOf'] } : {}),
    counts,
  };
}

/** The hashes of one run's state, as HGETALL returns them. */
export interface RunHashes {
  readonly meta: Record<string, string>;
  readonly spec: Record<string, string>;
  readonly deps: Record<string, string>;
  readonly status: Record<string, string>;
  readonly attempt: Record<string, string>;
  readonly info: Record<string, string>;
  readonly output: Record<string, string>;
  readonly runners: Record<string, string>;
  /** Task id → its own routing rule JSON (absent in records written before tasks could name one). */
  readonly routes?: Record<string, string>;
  readonly order: string;
}

/** The `info` hash regrouped by task: one pass over its "taskId|field" entries. */
function infoByTask(info: Record<string, string>): Map<string, Record<string, string>> {
  const byTask = new Map<string, Record<string, string>>();
  for (const key in info) {
    const bar = key.lastIndexOf('|');
    const id = key.slice(0, bar);
    let fields = byTask.get(id);
    if (!fields) byTask.set(id, (fields = {}));
    fields[key.slice(bar + 1)] = info[key] as string;
  }
  return byTask;
}

/** A spec's kind without parsing the whole spec (its payload may be large): specs are written as {"kind":…}. */
function kindOf(specJson: string | undefined): string {
  if (specJson === undefined) return '';
  const match = /^\{"kind":"([^"\\]*)"/.exec(specJson);
  return match ? (match[1] as string) : (parseJson<{ kind?: string }>(specJson, {}).kind ?? '');
}

/** Renders a run's state into its record, tasks in submission order. */
export function renderRecord(h: RunHashes): RunRecord {
  const summary = renderSummary(h.meta);
  const runners: Record<string, HardwareSnapshot> = {};
  for (const [id, json] of Object.entries(h.runners))
    runners[id] = parseJson<HardwareSnapshot>(json, { runnerId: id } as HardwareSnapshot);
  const ids = h.order === '' ? [] : h.order.split(',');
  const info = infoByTask(h.info);
  const tasks = ids.map((id): TaskRecord => {
    const f = info.get(id) ?? {};
    const status = (h.status[id] ?? 'pending') as TaskStatus;
    const task: { -readonly [K in keyof TaskRecord]: TaskRecord[K] } = {
      id,
      kind: kindOf(h.spec[id]),
      status,
      attempts: status === 'pending' || status === 'skipped' ? 0 : Number(h.attempt[id] ?? 1),
    };
    const own = parseJson<{ domain?: string; requires?: TaskRequirements }>(h.routes?.[id], {});
    // A task routed by what it requires has no domain until one is chosen for its attempt.
    const domain = own.domain ?? f['domain'] ?? (own.requires ? undefined : summary.domain);
    if (domain) task.domain = domain;
    if (own.requires) task.requires = own.requires;
    if (own.domain) task.route = 'domain';
    else if (own.requires) task.route = 'requires';
    else if (summary.route === 'override' || summary.route === 'default') task.route = summary.route;
    if (f['runnerId']) task.runnerId = f['runnerId'];
    if (h.output[id] !== undefined) task.output = parseJson<unknown>(h.output[id], null);
    if (f['error']) task.error = f['error'];
    if (h.deps[id]) task.dependsOn = h.deps[id].split(',');
    if (f['reused']) task.reused = true;
    const live = summary.status === 'queued' || summary.status === 'running';
    if (status === 'pending' && task.dependsOn) {
      const waitingFor = task.dependsOn.filter((d) => h.status[d] !== 'succeeded');
      if (waitingFor.length > 0) {
        task.waitingFor = waitingFor;
        if (live)
          task.waiting = {
            reason: 'dependencies',
            message: `waiting for ${waitingFor.length === 1 ? 'dependency' : 'dependencies'} ${waitingFor.join(', ')}`,
          };
      }
    }
    if (live && status === 'queued' && f['waitingSince']) {
      const since = Number(f['waitingSince']);
      const where = own.requires
        ? `has what it requires (${describeRequirements(own.requires)})`
        : `in domain ${task.domain ?? '?'}`;
      task.waiting = {
        reason: 'no_runner',
        message: `no live runner ${where} since ${new Date(since).toISOString()}`,
        since,
      };
    }
    if (f['queuedAt']) task.queuedAt = num(f['queuedAt']);
    if (f['startedAt']) task.startedAt = num(f['startedAt']);
    if (f['finishedAt']) task.finishedAt = num(f['finishedAt']);
    return task;
  });
  return { ...summary, hardware: parseJson(h.meta['hardware'], {}), runners, tasks };
}
