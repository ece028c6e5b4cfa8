import type { SystemName, SystemResult } from './results';

/** DESIGN.md "Budgets", as numbers. */
export const BUDGETS = {
  /** Mesh fan-out tasks/s ÷ BullMQ's, at least. */
  fanOutVsBullmq: 2,
  /** Mesh fan-out tasks/s ÷ the raw loop's, at least. */
  fanOutVsRaw: 0.5,
  /** One-task run, submittedAt → finishedAt, at most (ms). */
  latencyP50Ms: 3,
  latencyP99Ms: 15,
  /** CPU per task summed over the mesh's processes and Redis: "well under" this (µs). */
  cpuUsPerTask: 100,
} as const;

/** One check against a budget; `pass` is null when a system it needs was skipped. */
export interface Verdict {
  readonly check: string;
  readonly value: number | null;
  readonly target: string;
  readonly pass: boolean | null;
}

export interface Ratios {
  readonly meshVsBullmq: number | null;
  readonly meshVsRaw: number | null;
  readonly bullmqVsRaw: number | null;
  readonly meshP50VsBullmqP50: number | null;
}

type Results = Partial<Record<SystemName, SystemResult>>;

export function ratios(r: Results): Ratios {
  const over = (a: number | undefined, b: number | undefined): number | null =>
    a === undefined || b === undefined ? null : a / b;
  return {
    meshVsBullmq: over(r.mesh?.fanOut.tasksPerSec, r.bullmq?.fanOut.tasksPerSec),
    meshVsRaw: over(r.mesh?.fanOut.tasksPerSec, r.raw?.fanOut.tasksPerSec),
    bullmqVsRaw: over(r.bullmq?.fanOut.tasksPerSec, r.raw?.fanOut.tasksPerSec),
    meshP50VsBullmqP50: over(r.mesh?.latency.p50, r.bullmq?.latency.p50),
  };
}

export function verdicts(r: Results): Verdict[] {
  const q = ratios(r);
  const atLeast = (value: number | null | undefined, min: number): boolean | null =>
    value === null || value === undefined ? null : value >= min;
  const atMost = (value: number | null | undefined, max: number): boolean | null =>
    value === null || value === undefined ? null : value <= max;
  const meshCpu = r.mesh?.fanOut.cpu;
  return [
    {
      check: 'fan-out throughput: mesh ÷ BullMQ',
      value: q.meshVsBullmq,
      target: `≥ ${BUDGETS.fanOutVsBullmq}`,
      pass: atLeast(q.meshVsBullmq, BUDGETS.fanOutVsBullmq),
    },
    {
      check: 'fan-out throughput: mesh ÷ raw Redis-streams loop',
      value: q.meshVsRaw,
      target: `≥ ${BUDGETS.fanOutVsRaw}`,
      pass: atLeast(q.meshVsRaw, BUDGETS.fanOutVsRaw),
    },
    {
      check: 'one-task run latency p50 (ms)',
      value: r.mesh?.latency.p50 ?? null,
      target: `≤ ${BUDGETS.latencyP50Ms}`,
      pass: atMost(r.mesh?.latency.p50, BUDGETS.latencyP50Ms),
    },
    {
      check: 'one-task run latency p99 (ms)',
      value: r.mesh?.latency.p99 ?? null,
      target: `≤ ${BUDGETS.latencyP99Ms}`,
      pass: atMost(r.mesh?.latency.p99, BUDGETS.latencyP99Ms),
    },
    {
      check: 'fan-out CPU per task, mesh processes + Redis (µs)',
      value: meshCpu ? meshCpu.totalUsPerTask : null,
      target: `well under ${BUDGETS.cpuUsPerTask}`,
      pass: meshCpu && meshCpu.complete ? meshCpu.totalUsPerTask < BUDGETS.cpuUsPerTask : null,
    },
  ];
}
