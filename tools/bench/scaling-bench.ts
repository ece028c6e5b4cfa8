/**
 * `npm run bench -- --scaling`: the mesh alone, started once per combination of env runners and
 * supervisors (default 1, 2, 4 × 1, 2) with the main benchmark's launcher (mesh-launch.ts). Each
 * mesh gets an unmeasured warm-up, its idle CPU, then one fan-out of N no-op tasks through the
 * HTTP API. The report gives tasks/s and CPU per task by process kind, and ratios against the
 * 1 runner × 1 supervisor mesh. Each mesh has its own key prefix under the session's and its keys
 * are deleted as soon as it stops, so no mesh sees another's streams or records.
 */
import { cpus, loadavg } from 'node:os';
import { measureIdle, startCpuMeasurement, type CpuReport, type MeteredProcess } from './cpu';
import { createKeys } from '@mesh/mesh-protocol';
import { startMachineCpu } from './machine-cpu';
import { echoWorkflowBody, MeshClient } from './mesh-client';
import { launchMesh, meshPorts } from './mesh-launch';
import { fanOutBodyLimit } from './mesh-system';
import { deleteKeys, redisFacts } from './redis-host';
import { modeReportHead, writeReport } from './run-report';
import type { ScalingOptions } from './scaling-options';
import { plural } from './report-text';
import { formatScalingReport, type ScalingReport } from './scaling-report';
import {
  KINDS,
  scalingGrid,
  summarizeScaling,
  type ProcessKind,
  type ScalingConfig,
  type ScalingSample,
} from './scaling-table';
import type { BenchSession } from './session';
import { startStreamCount } from './stream-counts';
import { rate } from './stats';

const WORKFLOW = 'bench';
const TENANT = 'bench';

const KIND_OF_APP = { supervisor: 'supervisors', 'env-runner': 'runners', orchestrator: 'orchestrator' } as const;

/**
 * CPU of each kind, all its processes together, in the report's unit ÷ `scale` (µs per task, or with
 * 1000 ms per second for an idle report); null where one of its processes could not be read.
 */
function byKind(
  report: CpuReport,
  kinds: ReadonlyArray<ProcessKind | undefined>,
  scale = 1,
): Record<ProcessKind, number | null> {
  const out = Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<ProcessKind, number | null>;
  report.processes.forEach((p, i) => {
    const kind = kinds[i];
    if (kind === undefined) return;
    const sofar = out[kind];
    out[kind] = sofar === null || p.usPerTask === null ? null : sofar + p.usPerTask / scale;
  });
  return out;
}

async function measureOne(
  o: ScalingOptions,
  session: BenchSession,
  root: string,
  redisProcess: MeteredProcess,
  config: ScalingConfig,
  round: number,
): Promise<ScalingSample> {
  const { say, progress } = session;
  const prefix = `${session.prefix}:r${config.runners}s${config.supervisors}n${round}`;
  const body = echoWorkflowBody(WORKFLOW, TENANT, o.tasks);
  const bodyLimitBytes = fanOutBodyLimit(Buffer.byteLength(body));
  say(`${plural(config.runners, 'runner')} × ${plural(config.supervisors, 'supervisor')}, round ${round}: starting`);
  const counts = { runners: config.runners, supervisors: config.supervisors };
  const mesh = launchMesh(
    {
      root,
      redisUrl: o.redisUrl,
      prefix,
      runnerConcurrency: o.runnerConcurrency,
      counts,
      ...(bodyLimitBytes ? { bodyLimitBytes } : {}),
    },
    await meshPorts(counts),
  );
  const unregister = session.onCleanup(() => mesh.stop());
  try {
    await mesh.ready();
    const client = new MeshClient(mesh.api);
    const processes: MeteredProcess[] = [
      ...mesh.services.map(({ name, service }) => ({ name, pid: service.child.pid, inTotal: true })),
      redisProcess,
      { name: 'bench client', pid: process.pid, inTotal: false },
    ];
    const kinds = [...mesh.services.map((s) => KIND_OF_APP[s.app]), 'redis' as const, undefined];
    const poll = { pollMs: o.pollMs, timeoutMs: o.timeoutMs };
    // Summaries, not records: GETs of a large record would load the orchestrator by how often they come.
    const runOnce = async (workflowBody: string, onPoll?: (status: string) => void) => {
      const runPath = await mesh.guard(client.submit(workflowBody));
      return mesh.guard(client.waitForSummary(runPath, { ...poll, ...(onPoll ? { onPoll } : {}) }));
    };
    if (o.warmupTasks > 0) await runOnce(echoWorkflowBody(WORKFLOW, TENANT, o.warmupTasks));
    const idle = o.idleMs > 0 ? await mesh.guard(measureIdle(processes, o.idleMs)) : undefined;

    progress.begin(`fan-out of ${o.tasks} tasks (GET /runs)`);
    const keys = createKeys(prefix);
    const streams = await startStreamCount(session.redis, [keys.acks, keys.runEvents]);
    const machine = startMachineCpu();
    const cpu = startCpuMeasurement(processes);
    const started = performance.now();
    const run = await runOnce(body, (status) => progress.update(0, status));
    const wallMs = performance.now() - started;
    const report = cpu.stop(o.tasks);
    const machineCpu = machine.stop();
    const [reportsPerKTasks = null, eventsPerKTasks = null] = await streams.stop(o.tasks);
    progress.end();
    const measuredMs = report.processes.reduce((sum, p) => sum + (p.cpuMs ?? 0), 0);
    const ms = run.finishedAt - run.submittedAt;
    const sample: ScalingSample = {
      ...config,
      round,
      tasks: o.tasks,
      ms,
      tasksPerSec: rate(o.tasks, ms),
      usPerTask: byKind(report, kinds),
      measuredCores: measuredMs / wallMs,
      machineCores: machineCpu?.busyCores ?? null,
      reportsPerKTasks,
      eventsPerKTasks,
      // measureIdle's usPerTask is µs of CPU per second.
      ...(idle ? { idleMsPerSec: byKind(idle, kinds, 1000) } : {}),
    };
    const total = KINDS.reduce((sum, k) => sum + (sample.usPerTask[k] ?? 0), 0);
    say(
      `  ${Math.round(sample.tasksPerSec)} tasks/s, ${total.toFixed(0)} µs of CPU per task (${run.polls} GETs of /runs)`,
    );
    return sample;
  } finally {
    await mesh.stop();
    unregister();
    // Whatever is left goes with the session's keys at the end.
    await deleteKeys(session.redis, prefix).catch((err: Error) => say(`deleting ${prefix}:*: ${err.message}`));
  }
}

/** Measures every mesh of the grid `rounds` times, prints the table and writes the JSON report. */
export async function runScaling(o: ScalingOptions, session: BenchSession, root: string): Promise<void> {
  const loadStart = loadavg();
  const facts = await redisFacts(session.redis);
  session.say(`key prefix ${session.prefix}, Redis ${facts.version} at ${o.redisUrl}`);
  const grid = scalingGrid(o.runners, o.supervisors);
  const samples: ScalingSample[] = [];
  for (let round = 1; round <= o.rounds; round++)
    for (const config of grid) samples.push(await measureOne(o, session, root, facts.process, config, round));

  const cpuList = cpus();
  const notes = [
    `Every process runs on this machine's ${cpuList.length} cores, together with Redis and whatever else runs here: past the cores, an added process adds contention, not capacity. "cores busy" says how close each fan-out came to that.`,
    'A fan-out is one run with one submission, so one supervisor starts it and publishes all its first assignments; more supervisors share only the runner reports (pickups and acks).',
    'Each mesh starts fresh: its warm-up fan-out is not measured; idle CPU is measured after it, for all processes together.',
    facts.note ??
      `Redis CPU is that of the whole redis-server (pid ${facts.pid}); commands of other clients on it count too.`,
  ];
  const report: ScalingReport = {
    ...modeReportHead(facts, loadStart, root, cpuList),
    parameters: {
      tasks: o.tasks,
      warmupTasks: o.warmupTasks,
      runners: o.runners.join(','),
      supervisors: o.supervisors.join(','),
      rounds: o.rounds,
      idleMs: o.idleMs,
      fanOutPollMs: o.pollMs,
      runnerConcurrency: o.runnerConcurrency,
      domain: 'default',
      logLevel: 'warn',
    },
    samples,
    summary: summarizeScaling(samples),
    notes,
  };
  writeReport(o.out, report, formatScalingReport);
}
