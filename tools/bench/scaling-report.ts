import type { ScalingSample, ScalingSummary } from './scaling-table';

/** Where the scaling run ran, and on what code. */
export interface ScalingMachine {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  readonly os: string;
  readonly node: string;
  readonly redisVersion: string;
  readonly redisPid: number | null;
  /** 1-, 5- and 15-minute load averages when the run started and ended. */
  readonly loadAverage: { readonly start: readonly number[]; readonly end: readonly number[] };
  /** `git rev-parse --short HEAD`, with " (+ uncommitted changes in apps/ or libs/)" when the services differ from it. */
  readonly commit: string;
}

/** The JSON report of `--scaling` (`--out`). */
export interface ScalingReport {
  readonly generatedAt: string;
  readonly machine: ScalingMachine;
  readonly parameters: Readonly<Record<string, number | string>>;
  readonly samples: readonly ScalingSample[];
  readonly summary: ScalingSummary;
  readonly notes: readonly string[];
}

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const x = (n: number): string => (Number.isFinite(n) ? `${n.toFixed(2)}×` : 'n/a');
const us = (n: number | null): string => (n === null ? 'n/a' : n.toFixed(0));
const cores = (n: number | null): string => (n === null ? 'n/a' : n.toFixed(2));
const count = (n: number | null): string => (n === null ? 'n/a' : n.toFixed(1));
const loads = (l: readonly number[]): string => l.map((v) => v.toFixed(2)).join(' / ');
export const plural = (n: number, one: string): string => `${n} ${one}${n === 1 ? '' : 's'}`;

/** Rows of a Markdown table, columns padded so it reads in a terminal too. */
export function markdownTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  return [line(header), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...rows.map(line)];
}

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
    `parameters: ${Object.entries(report.parameters)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(', ')}`,
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
        int(r.tasksPerSec) + (r.samples > 1 ? ` (${int(r.tasksPerSecMin)}–${int(r.tasksPerSecMax)})` : ''),
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
  ];
  if (report.notes.length > 0) lines.push('', 'Notes', ...report.notes.map((n) => `  - ${n}`));
  return lines.join('\n');
}
