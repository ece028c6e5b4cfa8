import type { CpuReport } from './cpu';
import type { SystemName, SystemResult } from './results';
import { ratios, verdicts, type Ratios, type Verdict } from './verdicts';

/** The machine and Redis a benchmark ran on (every mode's report gives them). */
export interface HostFacts {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  readonly os: string;
  readonly node: string;
  readonly redisVersion: string;
  readonly redisPid: number | null;
}

/** Facts about where the benchmark ran. */
export interface MachineFacts extends HostFacts {
  readonly bullmqVersion: string;
  /** 1-minute load average when the benchmark started and ended: other work on the machine shows here. */
  readonly loadAverage: { readonly start: number; readonly end: number };
}

/** The JSON report (`--out`). */
export interface BenchReport {
  readonly generatedAt: string;
  readonly machine: MachineFacts;
  readonly parameters: Readonly<Record<string, number | string | boolean>>;
  readonly results: Partial<Record<SystemName, SystemResult>>;
  readonly ratios: Ratios;
  readonly verdicts: readonly Verdict[];
  readonly notes: readonly string[];
}

export function buildReport(
  machine: MachineFacts,
  parameters: BenchReport['parameters'],
  results: BenchReport['results'],
  notes: readonly string[],
): BenchReport {
  return {
    generatedAt: new Date().toISOString(),
    machine,
    parameters,
    results,
    ratios: ratios(results),
    verdicts: verdicts(results),
    notes,
  };
}

const ORDER: readonly SystemName[] = ['raw', 'bullmq', 'mesh'];
const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const ms = (n: number): string => (Number.isFinite(n) ? n.toFixed(2) : 'n/a');
const us = (n: number | null): string => (n === null ? 'n/a' : n.toFixed(1));
const pad = (s: string, width: number): string => s.padEnd(width);
const lpad = (s: string, width: number): string => s.padStart(width);

function cpuTotal(cpu: CpuReport): string {
  return `${us(cpu.totalUsPerTask)}${cpu.complete ? '' : '+'}`;
}

function cpuLines(
  title: string,
  unit: string,
  results: readonly SystemResult[],
  pick: (r: SystemResult) => CpuReport | undefined,
  scale = 1,
): string[] {
  const lines = [title];
  const value = (v: number | null): string => (v === null ? 'n/a' : (v / scale).toFixed(1));
  for (const r of results) {
    const cpu = pick(r);
    if (!cpu) continue;
    lines.push(`  ${r.label}`);
    for (const p of cpu.processes)
      lines.push(`    ${pad(p.name, 52)} ${lpad(value(p.usPerTask), 9)} ${unit}  (${p.cpuMs ?? 'n/a'} ms CPU)`);
    lines.push(`    ${pad('total', 52)} ${lpad(value(cpu.totalUsPerTask) + (cpu.complete ? '' : '+'), 9)} ${unit}`);
  }
  return lines;
}

/** The report as text for the terminal. */
export function formatReport(report: BenchReport): string {
  const m = report.machine;
  const p = report.parameters;
  const results = ORDER.map((s) => report.results[s]).filter((r): r is SystemResult => r !== undefined);
  const lines = [
    `Mesh benchmark, ${report.generatedAt}`,
    `machine: ${m.cpus} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}, ` +
      `Redis ${m.redisVersion} (pid ${m.redisPid ?? 'not visible'}), BullMQ ${m.bullmqVersion}; ` +
      `load average ${m.loadAverage.start.toFixed(2)} at start, ${m.loadAverage.end.toFixed(2)} at end`,
    `parameters: ${Object.entries(p)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(', ')}`,
    '',
    `Fan-out: ${int(Number(p['tasks']))} independent no-op tasks at once`,
    `  ${pad('system', 56)} ${lpad('tasks/s', 9)} ${lpad('time ms', 9)} ${lpad('CPU µs/task', 12)}`,
  ];
  for (const r of results) {
    const f = r.fanOut;
    lines.push(
      `  ${pad(r.label, 56)} ${lpad(int(f.tasksPerSec), 9)} ${lpad(int(f.ms), 9)} ${lpad(cpuTotal(f.cpu), 12)}`,
    );
  }
  for (const r of results) lines.push(`  ${r.system}: ${r.fanOut.clock}`);
  const meshExtra = report.results.mesh?.fanOut.extra;
  if (meshExtra)
    lines.push(
      `  mesh client: POST to "succeeded" seen in ${meshExtra['clientObservedMs']} ms, with ${meshExtra['polls']} GETs of the record (${meshExtra['pollsWallMs']} ms in all; each waits 5× the last GET's time, ${p['fanOutPollMs']}-2000 ms)`,
      `  mesh: the finished record is ${meshExtra['finishedRecordBytes']} bytes; one GET of it takes ${meshExtra['finishedRecordGetMs']} ms and ${meshExtra['finishedRecordGetOrchestratorCpuMs']} ms of orchestrator CPU,`,
      `        so the polls account for at most ${meshExtra['pollsOrchestratorCpuMsAtMost']} ms of the orchestrator's CPU below`,
    );
  lines.push(
    '',
    `One-task latency: ${p['latencyRuns']} sequential runs (ms)`,
    `  ${pad('system', 56)} ${['p50', 'p95', 'p99', 'max', 'CPU µs/run'].map((h) => lpad(h, 8)).join(' ')}`,
  );
  for (const r of results) {
    const l = r.latency;
    lines.push(
      `  ${pad(r.label, 56)} ${[ms(l.p50), ms(l.p95), ms(l.p99), ms(l.max), cpuTotal(l.cpu)].map((v) => lpad(v, 8)).join(' ')}`,
    );
  }
  for (const r of results) lines.push(`  ${r.system}: ${r.latency.clock}`);
  lines.push('', ...cpuLines('CPU per task in the fan-out, by process', 'µs/task', results, (r) => r.fanOut.cpu));
  lines.push('', ...cpuLines('CPU per run in the latency phase, by process', 'µs/run ', results, (r) => r.latency.cpu));
  if (results.some((r) => r.idle))
    lines.push(
      '',
      ...cpuLines(
        `CPU while idle for ${p['idleMs']} ms after the warm-up, by process`,
        'ms/s   ',
        results,
        (r) => r.idle,
        1000,
      ),
    );
  const q = report.ratios;
  const ratio = (v: number | null): string => (v === null ? 'n/a' : v.toFixed(3));
  lines.push(
    '',
    'Ratios',
    `  fan-out mesh ÷ BullMQ:   ${ratio(q.meshVsBullmq)}`,
    `  fan-out mesh ÷ raw loop: ${ratio(q.meshVsRaw)}`,
    `  fan-out BullMQ ÷ raw:    ${ratio(q.bullmqVsRaw)}`,
    `  latency p50 mesh ÷ BullMQ: ${ratio(q.meshP50VsBullmqP50)}`,
    '',
    "Against DESIGN.md's budgets",
  );
  for (const v of report.verdicts) {
    const verdict = v.pass === null ? 'n/a ' : v.pass ? 'PASS' : 'MISS';
    const value = v.value === null ? 'n/a' : v.value.toFixed(v.value >= 100 ? 0 : 2);
    lines.push(`  ${verdict}  ${pad(v.check, 52)} ${lpad(value, 8)}  (target ${v.target})`);
  }
  if (report.notes.length > 0) lines.push('', 'Notes', ...report.notes.map((n) => `  - ${n}`));
  return lines.join('\n');
}
