import type { HardwareSnapshot } from '@mesh/mesh-protocol';

export type RunStatus = 'queued' | 'running' | 'succeeded' | 'failed';
export const RUN_STATUSES: readonly RunStatus[] = ['queued', 'running', 'succeeded', 'failed'];

export interface TaskRecord {
  readonly id: string;
  readonly status: 'pending' | 'dispatched' | 'running' | 'succeeded' | 'failed' | 'skipped';
  readonly attempts: number;
  readonly domain?: string;
  readonly runnerId?: string;
  /** Hardware of the runner that executed the task, as it was when the task finished. */
  readonly hardware?: HardwareSnapshot | null;
  readonly error?: string;
  readonly startedAt?: number;
  readonly finishedAt?: number;
}

/** A run as `GET /workflows/{id}/runs/{runId}` returns it. */
export interface RunRecord {
  readonly runId: string;
  readonly workflow: string;
  readonly tenant: string;
  readonly status: RunStatus;
  readonly domain?: string;
  readonly submittedAt: number;
  readonly startedAt?: number;
  readonly finishedAt?: number;
  readonly error?: string;
  /** The runner hardware snapshot relayed with the submission (null when no runner had registered). */
  readonly hardware: HardwareSnapshot | null;
  readonly tasks: TaskRecord[];
}

const num = (v: string | undefined): number | undefined => (v === undefined ? undefined : Number(v));

/** Renders the stored hashes into a record (tasks in submission order). */
export function renderRecord(
  meta: Record<string, string>,
  tasks: Record<string, string>,
  hardwareByRunner: Record<string, string>,
): RunRecord {
  const order = meta['order'] ? meta['order'].split(',') : [];
  const hardware = (runnerId: string | undefined): HardwareSnapshot | null | undefined => {
    if (!runnerId) return undefined;
    const json = hardwareByRunner[runnerId];
    return json ? (JSON.parse(json) as HardwareSnapshot) : null;
  };
  return {
    runId: meta['runId'] as string,
    workflow: meta['workflow'] as string,
    tenant: meta['tenant'] as string,
    status: meta['status'] as RunStatus,
    ...(meta['domain'] ? { domain: meta['domain'] } : {}),
    submittedAt: Number(meta['submittedAt']),
    ...(meta['startedAt'] ? { startedAt: Number(meta['startedAt']) } : {}),
    ...(meta['finishedAt'] ? { finishedAt: Number(meta['finishedAt']) } : {}),
    ...(meta['error'] ? { error: meta['error'] } : {}),
    hardware: meta['hardware'] ? (JSON.parse(meta['hardware']) as HardwareSnapshot | null) : null,
    tasks: order.map((id) => {
      const f = (field: string): string | undefined => tasks[`${id}|${field}`];
      const runnerId = f('runnerId');
      const record: TaskRecord = {
        id,
        status: (f('status') ?? 'pending') as TaskRecord['status'],
        attempts: Number(f('attempts') ?? 0),
        ...(f('domain') ? { domain: f('domain') } : {}),
        ...(runnerId ? { runnerId, hardware: hardware(runnerId) } : {}),
        ...(f('error') ? { error: f('error') } : {}),
        ...(f('startedAt') ? { startedAt: num(f('startedAt')) } : {}),
        ...(f('finishedAt') ? { finishedAt: num(f('finishedAt')) } : {}),
      };
      return record;
    }),
  };
}
