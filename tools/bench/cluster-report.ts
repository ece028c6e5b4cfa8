/**
 * The pure part of `--cluster`: its samples, their medians by setup, and the report as text. One sample
 * is one measured phase (many runs submitted at once) on one freshly started mesh on one Redis setup.
 */
import { cores, int, loads, markdownTable, notesLines, parametersLine, tasksPerSecCell, us, x } from './report-text';
import type { MeshModeReport } from './scaling-report';
import { median, medianOrNull, throughputMedians, type ProcessKind, type ThroughputMedians } from './scaling-table';

/** One measured phase on one setup. */
export interface ClusterSample {
  /** "standalone", "1 master", "3 masters". */
  readonly setup: string;
  /** Masters of the cluster; 0 for the standalone Redis. */
  readonly masters: number;
  /** MESH_PARTITIONS as the services used it. */
  readonly partitions: number;
  /** Which pass over the setups it belongs to (1-based). */
  readonly round: number;
  readonly runs: number;
  readonly tasks: number;
  /** The earliest submittedAt → the latest finishedAt of its runs, ms. */
  readonly ms: number;
  readonly tasksPerSec: number;
  /** CPU µs per task of each kind (redis: every master together); null when one process could not be read. */
  readonly usPerTask: Readonly<Record<ProcessKind, number | null>>;
  /** CPU µs per task of each redis-server (master), in node order; null where it could not be read. */
  readonly masterUsPerTask: ReadonlyArray<number | null>;
  /** Commands each master processed per task (INFO stats), in node order; null where it did not answer. */
  readonly masterCommandsPerTask: ReadonlyArray<number | null>;
  /** The slot ranges each master served ("0-5460"), in node order (empty for the standalone Redis). */
  readonly masterSlots: readonly string[];
  /** What each master held of the shared keys ("assignments, 3 partitions"), in node order. */
  readonly masterHolds: readonly string[];
  /** The index (node order) of the master that held the domain's assignment stream; null for the standalone Redis. */
  readonly assignmentsMaster: number | null;
  /** CPU the measured processes used ÷ the phase's wall time, in cores. */
  readonly measuredCores: number;
  /** The same for everything on the machine; null where /proc/stat cannot be read. */
  readonly machineCores: number | null;
}

/** All samples of one setup, as medians, with ratios against the first setup. */
export interface ClusterRow extends ThroughputMedians {
  readonly setup: string;
  readonly masters: number;
  readonly partitions: number;
  /** Each master's CPU µs per task, largest first: the median, rank by rank, of each sample's sorted list. */
  readonly masterUsPerTask: ReadonlyArray<number | null>;
  /** The largest master's share of all Redis CPU (median over samples); null when a master could not be read. */
  readonly largestShare: number | null;
  /** In how many samples the master with the most CPU was the one holding the assignment stream; null below 2 masters. */
  readonly largestHoldsAssignments: number | null;
  /** Each master's commands per task, in masterUsPerTask's order (by CPU, not by commands). */
  readonly masterCommandsPerTask: ReadonlyArray<number | null>;
  readonly measuredCores: number;
  readonly machineCores: number | null;
  /** This row's tasks/s ÷ the first row's. */
  readonly throughputVsBase: number;
  /** This row's Redis CPU per task (all masters) ÷ the first row's; NaN when either is unknown. */
  readonly redisVsBase: number;
}

export interface ClusterSummary {
  readonly rows: readonly ClusterRow[];
}

/** The JSON report of `--cluster` (`--out`). */
export type ClusterReport = MeshModeReport<ClusterSample, ClusterSummary>;

/** The largest value's share of the sum; null when any is unknown, or there is none, or the sum is not above 0. */
export function largestShare(values: ReadonlyArray<number | null>): number | null {
  if (values.length === 0 || values.some((v) => v === null)) return null;
  const known = values as number[];
  const sum = known.reduce((a, b) => a + b, 0);
  return sum > 0 ? Math.max(...known) / sum : null;
}

/** Ranges of slots, [first, last] each. */
export type SlotRanges = ReadonlyArray<readonly [number, number]>;

/**
 * Which master serves each of `slots` (index into `ranges`, one entry a master), or null for a slot none serves.
 */
export function mastersOf(ranges: readonly SlotRanges[], slots: readonly number[]): Array<number | null> {
  return slots.map((slot) => {
    const i = ranges.findIndex((r) => r.some(([first, last]) => first <= slot && slot <= last));
    return i < 0 ? null : i;
  });
}

/** What each master holds: "assignments" when it holds the assignment stream, and how many partitions. */
export function describeHoldings(
  masters: number,
  assignmentsMaster: number | null,
  partitionMasters: ReadonlyArray<number | null>,
): string[] {
  return Array.from({ length: masters }, (_, i) => {
    const partitions = partitionMasters.filter((m) => m === i).length;
    const parts = [
      ...(assignmentsMaster === i ? ['assignments'] : []),
      `${partitions} partition${partitions === 1 ? '' : 's'}`,
    ];
    return parts.join(', ');
  });
}

/** Indices of `values` largest first, unknowns last. */
export function rankOrder(values: ReadonlyArray<number | null>): number[] {
  return values
    .map((v, i) => ({ v, i }))
    .sort((a, b) => (a.v === null ? (b.v === null ? a.i - b.i : 1) : b.v === null ? -1 : b.v - a.v || a.i - b.i))
    .map(({ i }) => i);
}

/**
 * Rank by rank, the median over samples of each sample's values, each sample's masters ordered by their CPU
 * (largest first, `order` of that sample) so that a column is the same master for every figure.
 */
function rankMedians(
  lists: ReadonlyArray<ReadonlyArray<number | null>>,
  orders: ReadonlyArray<readonly number[]>,
): Array<number | null> {
  const ranked = lists.map((l, s) => (orders[s] ?? []).map((i) => l[i] ?? null));
  const width = Math.max(0, ...ranked.map((l) => l.length));
  return Array.from({ length: width }, (_, i) => medianOrNull(ranked.map((l) => l[i] ?? null)));
}

/** Groups the samples by setup (in the order first seen), takes medians, and ratios against the first setup. */
export function summarizeCluster(samples: readonly ClusterSample[]): ClusterSummary {
  const setups = [...new Set(samples.map((s) => s.setup))];
  const medians = setups.map((setup) => {
    const of = samples.filter((s) => s.setup === setup);
    const first = of[0]!;
    const orders = of.map((s) => rankOrder(s.masterUsPerTask));
    return {
      setup,
      masters: first.masters,
      partitions: first.partitions,
      ...throughputMedians(of),
      masterUsPerTask: rankMedians(
        of.map((s) => s.masterUsPerTask),
        orders,
      ),
      largestShare: medianOrNull(of.map((s) => largestShare(s.masterUsPerTask))),
      largestHoldsAssignments:
        first.masters < 2
          ? null
          : of.filter((s) => s.assignmentsMaster !== null && rankOrder(s.masterUsPerTask)[0] === s.assignmentsMaster)
              .length,
      masterCommandsPerTask: rankMedians(
        of.map((s) => s.masterCommandsPerTask),
        orders,
      ),
      measuredCores: median(of.map((s) => s.measuredCores)),
      machineCores: medianOrNull(of.map((s) => s.machineCores)),
    };
  });
  const base = medians[0];
  const rows = medians.map((m): ClusterRow => ({
    ...m,
    throughputVsBase: base ? m.tasksPerSec / base.tasksPerSec : NaN,
    redisVsBase:
      base && m.usPerTask.redis !== null && base.usPerTask.redis !== null && base.usPerTask.redis > 0
        ? m.usPerTask.redis / base.usPerTask.redis
        : NaN,
  }));
  return { rows };
}

const pct = (n: number | null): string => (n === null ? 'n/a' : `${(n * 100).toFixed(0)}%`);
const list = (values: ReadonlyArray<number | null>, f: (n: number | null) => string): string =>
  values.map(f).join(' / ');

/** The table rows of the summary, as `formatClusterReport` prints them (and docs/benchmarks.md quotes them). */
export function clusterTable(summary: ClusterSummary): string[] {
  return markdownTable(
    [
      'Redis',
      'partitions',
      'tasks/s',
      'tasks/s ratio',
      'CPU µs/task',
      'supervisor µs',
      'runners µs',
      'orchestrator µs',
      'Redis µs (all)',
      'Redis µs per master',
      'largest master share',
      'largest holds assignments',
      'commands/task per master',
      'cores busy: mesh / machine',
    ],
    summary.rows.map((r) => [
      r.setup,
      String(r.partitions),
      tasksPerSecCell(r),
      x(r.throughputVsBase),
      us(r.totalUsPerTask) + (r.complete ? '' : '+'),
      us(r.usPerTask.supervisors),
      us(r.usPerTask.runners),
      us(r.usPerTask.orchestrator),
      us(r.usPerTask.redis),
      list(r.masterUsPerTask, us),
      pct(r.largestShare) + (r.masters > 1 ? ` (even: ${pct(1 / r.masters)})` : ''),
      r.largestHoldsAssignments === null
        ? '–'
        : r.samples === 1
          ? r.largestHoldsAssignments === 1
            ? 'yes'
            : 'no'
          : `${r.largestHoldsAssignments} of ${r.samples}`,
      list(r.masterCommandsPerTask, (n) => (n === null ? 'n/a' : n.toFixed(1))),
      `${cores(r.measuredCores)} / ${cores(r.machineCores)}`,
    ]),
  );
}

/** The report as text: machine facts, parameters, the table, the notes. */
export function formatClusterReport(report: ClusterReport): string {
  const m = report.machine;
  const p = report.parameters;
  const rounds = Number(p['rounds'] ?? 1);
  const lines = [
    `Mesh cluster benchmark, ${report.generatedAt}, code ${m.commit}`,
    `machine: ${m.cpus} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}, Redis ${m.redisVersion}; ` +
      `load average (1 / 5 / 15 min) ${loads(m.loadAverage.start)} at start, ${loads(m.loadAverage.end)} at end`,
    parametersLine(p),
    '',
    `${int(Number(p['runs']))} runs × ${int(Number(p['tasksPerRun']))} echo tasks submitted at once, one freshly ` +
      `started mesh (1 orchestrator, 1 supervisor, 2 runners) per row` +
      (rounds > 1 ? ` (medians of ${rounds} rounds; tasks/s min–max in brackets)` : '') +
      "; ratios against the first row; per-master figures ordered by each master's Redis CPU, largest first",
    '',
    ...clusterTable(report.summary),
    ...notesLines(report.notes),
  ];
  return lines.join('\n');
}
