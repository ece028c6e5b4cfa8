import {
  cores,
  int,
  loads,
  markdownTable,
  notesLines,
  parametersLine,
  plural,
  tasksPerSecCell,
  us,
  x,
} from './report-text';
import type { ScalingSample, ScalingSummary } from './scaling-table';
import type { HostFacts } from './report';

/** Where the scaling run ran, and on what code. */
export interface ScalingMachine extends HostFacts {
  /** 1-, 5- and 15-minute load averages when the run started and ended. */
  readonly loadAverage: { readonly start: readonly number[]; readonly end: readonly number[] };
  /** `git rev-parse --short HEAD`, with " (+ uncommitted changes in apps/ or libs/)" when the services differ from it. */
  readonly commit: string;
}

/** The JSON report of a mode that measures freshly started meshes (`--scaling`, `--cluster`; `--out`). */
export interface MeshModeReport<Sample, Summary> {
  readonly generatedAt: string;
  readonly machine: ScalingMachine;
  readonly parameters: Readonly<Record<string, number | string>>;
  readonly samples: readonly Sample[];
  readonly summary: Summary;
  readonly notes: readonly string[];
}

/** The JSON report of `--scaling` (`--out`). */
export type ScalingReport = MeshModeReport<ScalingSample, ScalingSummary>;

const count = (n: number | null): string => (n === null ? 'n/a' : n.toFixed(1));

/** The report as text: machine facts, the table against the base row, then each added runner or supervisor. */
export function formatScalingReport(report: ScalingReport): string {
  const m = report.machine;
  const s = report.summary;
  const rounds = Number(report.parameters['rounds'] ?? 1);
  const base = `${plural(s.base.runners, 'runner')} × ${plural(s.base.supervisors, 'supervisor')}`;
  const lines = [
    `Mesh scaling benchmark, ${report.generatedAt}, code ${m.commit}`,
    `machine: ${m.cpus} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}, ` +
      `Redis ${m.redisVersion} (pid ${m.redisPid ?? 'not visible'}); ` +
      `load average (1 / 5 / 15 min) ${loads(m.loadAverage.start)} at start, ${loads(m.loadAverage.end)} at end`,
    parametersLine(report.parameters),
    '',
    `Fan-out of ${int(Number(report.parameters['tasks']))} no-op tasks in one run, one freshly started mesh per row` +
      (rounds > 1 ? ` (medians of ${rounds} rounds; tasks/s min–max in brackets)` : '') +
      `; ratios against ${base}`,
    '',
    ...markdownTable(
      [
        'runners',
        'supervisors',
        'tasks/s',
        'tasks/s ratio',
        'CPU µs/task',
        'CPU ratio',
        'supervisors µs',
        'runners µs',
        'orchestrator µs',
        'Redis µs',
        'cores busy: mesh / machine',
        'reports / events per 1k tasks',
        'idle CPU ms/s',
      ],
      s.rows.map((r) => [
        String(r.runners),
        String(r.supervisors),
        tasksPerSecCell(r),
        x(r.throughputVsBase),
        us(r.totalUsPerTask) + (r.complete ? '' : '+'),
        x(r.cpuVsBase),
        us(r.usPerTask.supervisors),
        us(r.usPerTask.runners),
        us(r.usPerTask.orchestrator),
        us(r.usPerTask.redis),
        `${cores(r.measuredCores)} / ${cores(r.machineCores)}`,
        `${count(r.reportsPerKTasks)} / ${count(r.eventsPerKTasks)}`,
        r.idleMsPerSec === null ? 'n/a' : r.idleMsPerSec.toFixed(0),
      ]),
    ),
    '',
    'Each added runner or supervisor, against the row before it',
    '',
    ...markdownTable(
      ['step', 'tasks/s ratio', 'CPU per task ratio'],
      s.steps.map((st) => [
        st.added === 'runners'
          ? `${st.from.runners} → ${plural(st.to.runners, 'runner')}, ${plural(st.to.supervisors, 'supervisor')}`
          : `${st.from.supervisors} → ${plural(st.to.supervisors, 'supervisor')}, ${plural(st.to.runners, 'runner')}`,
        x(st.throughput),
        x(st.cpu),
      ]),
    ),
    ...notesLines(report.notes),
  ];
  return lines.join('\n');
}
