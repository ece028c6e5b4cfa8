import type { HardwareSnapshot } from '@mesh/mesh-protocol';
import { TASK_STATUSES, type RunStatus, type TaskStatus } from './statuses';

/** One task of a run, as the HTTP API shows it. Its hardware is `runners[runnerId]` of the run. */
export interface TaskRecord {
  readonly id: string;
  readonly kind: string;
  readonly status: TaskStatus;
  /** The current attempt (1 before the first retry); 0 for a task that never became ready. */
  readonly attempts: number;
  readonly domain?: string;
  /** The runner that executes or executed the current attempt. */
  readonly runnerId?: string;
  /** The output of the successful attempt. */
  readonly output?: unknown;
  readonly error?: string;
  /** For a pending task: the dependencies that have not succeeded yet. */
  readonly waitingFor?: string[];
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
  readonly order: string;
}

/** Renders a run's state into its record, tasks in submission order. */
export function renderRecord(h: RunHashes): RunRecord {
  const summary = renderSummary(h.meta);
  const runners: Record<string, HardwareSnapshot> = {};
  for (const [id, json] of Object.entries(h.runners))
    runners[id] = parseJson<HardwareSnapshot>(json, { runnerId: id } as HardwareSnapshot);
  const ids = h.order === '' ? [] : h.order.split(',');
  const tasks = ids.map((id): TaskRecord => {
    const f = (field: string): string | undefined => h.info[`${id}|${field}`];
    const status = (h.status[id] ?? 'pending') as TaskStatus;
    const spec = parseJson<{ kind?: string }>(h.spec[id], {});
    const runnerId = f('runnerId');
    const waitingFor =
      status === 'pending' && h.deps[id] ? h.deps[id].split(',').filter((d) => h.status[d] !== 'succeeded') : undefined;
    return {
      id,
      kind: spec.kind ?? '',
      status,
      attempts: status === 'pending' || status === 'skipped' ? 0 : Number(h.attempt[id] ?? 1),
      ...(summary.domain ? { domain: summary.domain } : {}),
      ...(runnerId ? { runnerId } : {}),
      ...(h.output[id] !== undefined ? { output: parseJson<unknown>(h.output[id], null) } : {}),
      ...(f('error') ? { error: f('error') } : {}),
      ...(waitingFor && waitingFor.length > 0 ? { waitingFor } : {}),
      ...(f('queuedAt') ? { queuedAt: num(f('queuedAt')) } : {}),
      ...(f('startedAt') ? { startedAt: num(f('startedAt')) } : {}),
      ...(f('finishedAt') ? { finishedAt: num(f('finishedAt')) } : {}),
    };
  });
  return { ...summary, hardware: parseJson(h.meta['hardware'], {}), runners, tasks };
}
