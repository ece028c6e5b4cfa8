/** The processes of a mesh, grouped as the scaling table reports them. */
export const KINDS = ['supervisors', 'runners', 'orchestrator', 'redis'] as const;
export type ProcessKind = (typeof KINDS)[number];

/** How many env runners and supervisors one mesh of the scaling grid runs. */
export interface ScalingConfig {
  readonly runners: number;
  readonly supervisors: number;
}

/** One measured fan-out on one freshly started mesh. */
export interface ScalingSample extends ScalingConfig {
  /** Which pass over the grid it belongs to (1-based). */
  readonly round: number;
  readonly tasks: number;
  /** The run record's submittedAt → finishedAt, ms. */
  readonly ms: number;
  readonly tasksPerSec: number;
  /** CPU µs per task of each kind, all its processes together; null when one could not be read. */
  readonly usPerTask: Readonly<Record<ProcessKind, number | null>>;
  /** CPU the measured processes (mesh, Redis, benchmark client) used ÷ the phase's wall time, in cores. */
  readonly measuredCores: number;
  /** The same for everything on the machine (/proc/stat); null where it cannot be read. */
  readonly machineCores: number | null;
  /** Runner reports (entries on mesh:acks) per 1,000 tasks: how finely the runners batch; null if unknown. */
  readonly reportsPerKTasks: number | null;
  /** Entries on mesh:run-events per 1,000 tasks: one per run per supervisor batch; null if unknown. */
  readonly eventsPerKTasks: number | null;
  /** CPU ms per second of each kind while the mesh idled after its warm-up; absent with --idle-ms 0. */
  readonly idleMsPerSec?: Readonly<Record<ProcessKind, number | null>>;
}

/** What a table row of `--scaling` or `--cluster` gives of its samples' tasks/s and CPU per task. */
export interface ThroughputMedians {
  readonly samples: number;
  readonly tasksPerSec: number;
  readonly tasksPerSecMin: number;
  readonly tasksPerSecMax: number;
  readonly usPerTask: Readonly<Record<ProcessKind, number | null>>;
  /** The median over samples of the sum over kinds. */
  readonly totalUsPerTask: number;
  /** False when some process could not be read, so the total is too low. */
  readonly complete: boolean;
}

/** All samples of one configuration, as medians, with ratios against the base configuration. */
export interface ScalingRow extends ScalingConfig, ThroughputMedians {
  readonly measuredCores: number;
  readonly machineCores: number | null;
  readonly reportsPerKTasks: number | null;
  readonly eventsPerKTasks: number | null;
  /** Idle CPU of all processes together, ms per second; null when idle was not measured. */
  readonly idleMsPerSec: number | null;
  /** This row's tasks/s ÷ the base row's. */
  readonly throughputVsBase: number;
  /** This row's CPU per task ÷ the base row's. */
  readonly cpuVsBase: number;
}

/** What one more runner or supervisor step changed: from a row to the next one along one axis. */
export interface ScalingStep {
  readonly from: ScalingConfig;
  readonly to: ScalingConfig;
  readonly added: 'runners' | 'supervisors';
  readonly throughput: number;
  readonly cpu: number;
}

export interface ScalingSummary {
  /** The row the ratios are against: 1 runner × 1 supervisor, else the smallest measured. */
  readonly base: ScalingConfig;
  readonly rows: readonly ScalingRow[];
  readonly steps: readonly ScalingStep[];
}

/** Every combination, supervisors outermost: (1,1), (2,1), (4,1), (1,2), … */
export function scalingGrid(runners: readonly number[], supervisors: readonly number[]): ScalingConfig[] {
  return supervisors.flatMap((s) => runners.map((r) => ({ runners: r, supervisors: s })));
}

/** The median of the numbers (the mean of the middle two for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const same = (a: ScalingConfig, b: ScalingConfig): boolean =>
  a.runners === b.runners && a.supervisors === b.supervisors;
/** The sum of the kinds' figures, an unknown one counted as 0. */
export const sumKinds = (u: Readonly<Record<ProcessKind, number | null>>): number =>
  KINDS.reduce((sum, k) => sum + (u[k] ?? 0), 0);
/** The median, or null when there are no values or one is unknown. */
export const medianOrNull = (values: ReadonlyArray<number | null>): number | null =>
  values.length === 0 || values.some((v) => v === null) ? null : median(values as number[]);

/** The ThroughputMedians of one row's samples (at least one). */
export function throughputMedians(
  of: ReadonlyArray<{ readonly tasksPerSec: number; readonly usPerTask: Readonly<Record<ProcessKind, number | null>> }>,
): ThroughputMedians {
  const tps = of.map((s) => s.tasksPerSec);
  const usPerTask = Object.fromEntries(KINDS.map((k) => [k, medianOrNull(of.map((s) => s.usPerTask[k]))])) as Record<
    ProcessKind,
    number | null
  >;
  return {
    samples: of.length,
    tasksPerSec: median(tps),
    tasksPerSecMin: Math.min(...tps),
    tasksPerSecMax: Math.max(...tps),
    usPerTask,
    totalUsPerTask: median(of.map((s) => sumKinds(s.usPerTask))),
    complete: of.every((s) => KINDS.every((k) => s.usPerTask[k] !== null)),
  };
}

/** Groups the samples by configuration (in the order first seen), takes medians and the ratios. */
export function summarizeScaling(samples: readonly ScalingSample[]): ScalingSummary {
  const configs: ScalingConfig[] = [];
  for (const s of samples)
    if (!configs.some((c) => same(c, s))) configs.push({ runners: s.runners, supervisors: s.supervisors });
  if (configs.length === 0) throw new Error('no scaling samples to summarize');
  const base =
    configs.find((c) => c.runners === 1 && c.supervisors === 1) ??
    [...configs].sort((a, b) => a.supervisors - b.supervisors || a.runners - b.runners)[0]!;

  const medians = configs.map((c) => {
    const of = samples.filter((s) => same(s, c));
    const idle = of.map((s) => (s.idleMsPerSec ? sumKinds(s.idleMsPerSec) : null));
    return {
      ...c,
      ...throughputMedians(of),
      measuredCores: median(of.map((s) => s.measuredCores)),
      machineCores: medianOrNull(of.map((s) => s.machineCores)),
      reportsPerKTasks: medianOrNull(of.map((s) => s.reportsPerKTasks)),
      eventsPerKTasks: medianOrNull(of.map((s) => s.eventsPerKTasks)),
      idleMsPerSec: medianOrNull(idle),
    };
  });
  const baseRow = medians.find((m) => same(m, base))!;
  const rows: ScalingRow[] = medians.map((m) => ({
    ...m,
    throughputVsBase: m.tasksPerSec / baseRow.tasksPerSec,
    cpuVsBase: m.totalUsPerTask / baseRow.totalUsPerTask,
  }));

  const steps: ScalingStep[] = [];
  const step = (from: ScalingRow, to: ScalingRow, added: ScalingStep['added']): void => {
    steps.push({
      from: { runners: from.runners, supervisors: from.supervisors },
      to: { runners: to.runners, supervisors: to.supervisors },
      added,
      throughput: to.tasksPerSec / from.tasksPerSec,
      cpu: to.totalUsPerTask / from.totalUsPerTask,
    });
  };
  const runnerCounts = [...new Set(rows.map((r) => r.runners))].sort((a, b) => a - b);
  const supervisorCounts = [...new Set(rows.map((r) => r.supervisors))].sort((a, b) => a - b);
  const at = (runners: number, supervisors: number) => rows.find((r) => same(r, { runners, supervisors }));
  for (const s of supervisorCounts)
    for (let i = 1; i < runnerCounts.length; i++) {
      const from = at(runnerCounts[i - 1]!, s);
      const to = at(runnerCounts[i]!, s);
      if (from && to) step(from, to, 'runners');
    }
  for (const r of runnerCounts)
    for (let i = 1; i < supervisorCounts.length; i++) {
      const from = at(r, supervisorCounts[i - 1]!);
      const to = at(r, supervisorCounts[i]!);
      if (from && to) step(from, to, 'supervisors');
    }
  return { base, rows, steps };
}
