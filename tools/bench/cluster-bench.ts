/**
 * `npm run bench -- --cluster`: does a Redis Cluster spread Redis's work over its masters? The mesh
 * (1 orchestrator, 1 supervisor, 2 env runners, mesh-launch.ts) is started once on the standalone Redis
 * (MESH_PARTITIONS unset: 1 partition) and once on each cluster of `--masters` masters that this mode
 * starts itself (bench-cluster.ts; REDIS_CLUSTER_NODES, MESH_PARTITIONS as the services default it: 8).
 * Each mesh gets an unmeasured warm-up, then many runs submitted at once through the HTTP API: a run's
 * state lives in one slot, so it takes many runs to spread over the masters. The report gives tasks/s,
 * CPU per task of each process kind, and the CPU per task of each redis-server master, with the largest
 * master's share of all of Redis's CPU. Every cluster is killed and its temp dir removed when its row is
 * done, and by the session's clean-up on failure or Ctrl-C; on the standalone Redis every key is under
 * the session's prefix and deleted.
 */
import { cpus, loadavg } from 'node:os';
import { DEFAULT_CLUSTER_PARTITIONS, DEFAULT_DOMAIN } from '@mesh/config';
import { createKeys, keySlot } from '@mesh/mesh-protocol';
import { startBenchCluster, infoField, type BenchCluster } from './bench-cluster';
import type { ClusterOptions } from './cluster-options';
import {
  describeHoldings,
  formatClusterReport,
  mastersOf,
  summarizeCluster,
  type ClusterReport,
  type ClusterSample,
} from './cluster-report';
import { startCpuMeasurement, type CpuReport, type MeteredProcess } from './cpu';
import { startMachineCpu } from './machine-cpu';
import { echoWorkflowBody, MeshClient } from './mesh-client';
import { launchMesh, meshPorts } from './mesh-launch';
import { deleteKeys, redisFacts } from './redis-host';
import { plural } from './report-text';
import { modeReportHead, writeReport } from './run-report';
import { KINDS, type ProcessKind } from './scaling-table';
import type { BenchSession } from './session';
import { rate } from './stats';

const TENANT = 'bench';
const KIND_OF_APP = { supervisor: 'supervisors', 'env-runner': 'runners', orchestrator: 'orchestrator' } as const;
/** Runs per page of `GET /workflows/:id/runs` (the API's largest). */
const PAGE = 100;

/** The Redis one row of the table runs on. */
interface Setup {
  readonly label: string;
  /** 0: the standalone Redis. */
  readonly masters: number;
}

/** Runs `work` on each item with at most `limit` in flight; rejects with the first failure. */
async function pool<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await work(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return out;
}

interface RunTimes {
  readonly submittedAt: number;
  readonly finishedAt: number;
}

/**
 * Polls the run summaries of `workflow` (all pages) until `count` runs have succeeded; rejects when one
 * failed or was cancelled, or after `timeoutMs`.
 */
async function waitForRuns(
  api: string,
  workflow: string,
  count: number,
  o: { pollMs: number; timeoutMs: number; onPoll?: (done: number) => void },
): Promise<RunTimes[]> {
  const deadline = Date.now() + o.timeoutMs;
  for (;;) {
    const done: RunTimes[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `limit=${PAGE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const res = await fetch(`${api}/workflows/${encodeURIComponent(workflow)}/runs?${query}`);
      const text = await res.text();
      if (res.status !== 200) throw new Error(`GET /workflows/${workflow}/runs answered ${res.status}: ${text}`);
      const page = JSON.parse(text) as { runs?: Array<Record<string, unknown>>; nextCursor?: string | null };
      for (const run of page.runs ?? []) {
        const { status, submittedAt, finishedAt } = run;
        if (status === 'failed' || status === 'cancelled')
          throw new Error(`run ${String(run['runId'])} ended ${status}: ${JSON.stringify(run['error'] ?? null)}`);
        if (status === 'succeeded' && typeof submittedAt === 'number' && typeof finishedAt === 'number')
          done.push({ submittedAt, finishedAt });
      }
      cursor = page.nextCursor ?? null;
    } while (cursor !== null);
    o.onPoll?.(done.length);
    if (done.length >= count) return done;
    if (Date.now() > deadline)
      throw new Error(`only ${done.length} of ${count} runs of ${workflow} succeeded within ${o.timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, o.pollMs));
  }
}

/** Submits `runs` runs of `tasksPerRun` echo tasks, `concurrency` at a time, and waits for all of them. */
async function runMany(
  client: MeshClient,
  api: string,
  workflow: string,
  o: ClusterOptions,
  runs: number,
  onPoll?: (done: number) => void,
): Promise<RunTimes[]> {
  const body = echoWorkflowBody(workflow, TENANT, o.tasksPerRun);
  await pool(
    Array.from({ length: runs }, (_, i) => i),
    o.submitConcurrency,
    () => client.submit(body),
  );
  return waitForRuns(api, workflow, runs, { pollMs: o.pollMs, timeoutMs: o.timeoutMs, ...(onPoll ? { onPoll } : {}) });
}

/** CPU µs per task of each kind, all its processes together; null where one of its processes could not be read. */
function byKind(report: CpuReport, kinds: ReadonlyArray<ProcessKind | undefined>): Record<ProcessKind, number | null> {
  const out = Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<ProcessKind, number | null>;
  report.processes.forEach((p, i) => {
    const kind = kinds[i];
    if (kind === undefined) return;
    const sofar = out[kind];
    out[kind] = sofar === null || p.usPerTask === null ? null : sofar + p.usPerTask;
  });
  return out;
}

async function measureOne(
  o: ClusterOptions,
  session: BenchSession,
  root: string,
  standalone: MeteredProcess,
  setup: Setup,
  round: number,
): Promise<ClusterSample> {
  const { say, progress } = session;
  const prefix = `${session.prefix}:c${setup.masters}n${round}`;
  say(`${setup.label}, round ${round}: starting`);
  let cluster: BenchCluster | undefined;
  let unregisterMesh = (): void => undefined;
  let mesh: ReturnType<typeof launchMesh> | undefined;
  try {
    if (setup.masters > 0) {
      cluster = await startBenchCluster(setup.masters, session.onCleanup);
    }
    const partitions = cluster ? (o.partitions ?? DEFAULT_CLUSTER_PARTITIONS) : 1;
    mesh = launchMesh(
      {
        root,
        // With a cluster the URL gives only the scheme; the nodes come from REDIS_CLUSTER_NODES.
        redisUrl: cluster ? 'redis://127.0.0.1:6379' : o.redisUrl,
        prefix,
        runnerConcurrency: o.runnerConcurrency,
        ...(cluster
          ? { clusterNodes: cluster.addresses, ...(o.partitions !== undefined ? { partitions: o.partitions } : {}) }
          : {}),
      },
      await meshPorts(),
    );
    const running = mesh;
    unregisterMesh = session.onCleanup(() => running.stop());
    await mesh.ready();
    const client = new MeshClient(mesh.api);
    const redisProcesses: MeteredProcess[] = cluster
      ? cluster.nodes.map((n) => ({ name: `redis-server ${n.address}`, pid: n.pid, inTotal: true }))
      : [standalone];
    const processes: MeteredProcess[] = [
      ...mesh.services.map(({ name, service }) => ({ name, pid: service.child.pid, inTotal: true })),
      ...redisProcesses,
      { name: 'bench client', pid: process.pid, inTotal: false },
    ];
    const kinds = [
      ...mesh.services.map((s) => KIND_OF_APP[s.app]),
      ...redisProcesses.map(() => 'redis' as const),
      undefined,
    ];
    const commands = async (): Promise<Array<number | null>> =>
      cluster
        ? cluster.commandsProcessed()
        : [
            await session.redis
              .info('stats')
              .then((info) => Number(infoField(info, 'total_commands_processed')))
              .catch(() => null),
          ];

    if (o.warmupRuns > 0) await mesh.guard(runMany(client, mesh.api, 'bench-warmup', o, o.warmupRuns));

    const tasks = o.runs * o.tasksPerRun;
    progress.begin(`${o.runs} runs × ${o.tasksPerRun} tasks`, o.runs);
    const commandsBefore = await commands();
    const machine = startMachineCpu();
    const cpu = startCpuMeasurement(processes);
    const started = performance.now();
    const times = await mesh.guard(runMany(client, mesh.api, 'bench', o, o.runs, (done) => progress.update(done)));
    const wallMs = performance.now() - started;
    const report = cpu.stop(tasks);
    const machineCpu = machine.stop();
    const commandsAfter = await commands();
    progress.end();
    const ms = Math.max(...times.map((t) => t.finishedAt)) - Math.min(...times.map((t) => t.submittedAt));
    const firstRedis = mesh.services.length;
    const masterUsPerTask = redisProcesses.map((_, i) => report.processes[firstRedis + i]?.usPerTask ?? null);
    const masterCommandsPerTask = commandsBefore.map((before, i) => {
      const after = commandsAfter[i];
      return before === null || after === null || after === undefined ? null : (after - before) / tasks;
    });
    // Which master held the domain's assignment stream and each partition's keys (their shared hash tag).
    const ranges = cluster ? await cluster.slotRanges() : [];
    const keys = createKeys(prefix, partitions);
    const [assignmentsMaster = null, ...partitionMasters] = mastersOf(ranges, [
      keySlot(keys.assignments(DEFAULT_DOMAIN)),
      ...keys.partitionKeys.map((k) => keySlot(k.workflows)),
    ]);
    const measuredMs = report.processes.reduce((sum, p) => sum + (p.cpuMs ?? 0), 0);
    const sample: ClusterSample = {
      setup: setup.label,
      masters: setup.masters,
      partitions,
      round,
      runs: o.runs,
      tasks,
      ms,
      tasksPerSec: rate(tasks, ms),
      usPerTask: byKind(report, kinds),
      masterUsPerTask,
      masterCommandsPerTask,
      masterSlots: ranges.map((r) => r.map(([first, last]) => `${first}-${last}`).join(',')),
      masterHolds: cluster ? describeHoldings(setup.masters, assignmentsMaster, partitionMasters) : [],
      assignmentsMaster: cluster ? assignmentsMaster : null,
      measuredCores: measuredMs / wallMs,
      machineCores: machineCpu?.busyCores ?? null,
    };
    say(
      `  ${Math.round(sample.tasksPerSec)} tasks/s; Redis µs/task per master: ` +
        masterUsPerTask
          .map((v, i) => `${v === null ? 'n/a' : v.toFixed(0)}${cluster ? ` (${sample.masterHolds[i]})` : ''}`)
          .join(' / '),
    );
    return sample;
  } finally {
    await mesh?.stop();
    unregisterMesh();
    await cluster?.stop();
    if (!cluster)
      await deleteKeys(session.redis, prefix).catch((err: Error) => say(`deleting ${prefix}:*: ${err.message}`));
  }
}

/** Measures every setup `rounds` times, prints the table and writes the JSON report. */
export async function runCluster(o: ClusterOptions, session: BenchSession, root: string): Promise<void> {
  const loadStart = loadavg();
  const facts = await redisFacts(session.redis);
  session.say(`key prefix ${session.prefix}, standalone Redis ${facts.version} at ${o.redisUrl}`);
  const setups: Setup[] = [
    ...(o.standalone ? [{ label: 'standalone', masters: 0 }] : []),
    ...o.masters.map((m) => ({ label: `cluster, ${plural(m, 'master')}`, masters: m })),
  ];
  const samples: ClusterSample[] = [];
  for (let round = 1; round <= o.rounds; round++)
    for (const setup of setups) samples.push(await measureOne(o, session, root, facts.process, setup, round));

  const cpuList = cpus();
  const notes = [
    `Every process, each redis-server included, runs on this machine's ${cpuList.length} cores: a master added here adds no core, so tasks/s cannot rise with masters. What the table can show is how Redis's CPU per task splits over the masters, i.e. whether masters on their own hosts would share the work.`,
    'A run\'s state lives in one slot (by run id), the shared streams and the schedule in MESH_PARTITIONS partitions spread over the masters, and each domain\'s assignment stream is one key: all runs here are in domain "default", so one master holds every assignment.',
    "Each mesh starts fresh on a fresh cluster; its warm-up runs are not measured. CPU is read from /proc before the first submission and after the last run is seen finished (polls every --poll-ms); tasks/s is from the runs' own submittedAt / finishedAt.",
    'Commands per task are INFO stats total_commands_processed; a Lua script counts its own commands too.',
  ];
  if (o.standalone)
    notes.push(
      facts.note ??
        `The standalone Redis is the shared one (pid ${facts.pid}): other clients' commands during its row count too.`,
    );
  const report: ClusterReport = {
    ...modeReportHead(facts, loadStart, root, cpuList),
    parameters: {
      runs: o.runs,
      tasksPerRun: o.tasksPerRun,
      warmupRuns: o.warmupRuns,
      masters: o.masters.join(','),
      standalone: o.standalone ? 'yes' : 'no',
      clusterPartitions: o.partitions ?? DEFAULT_CLUSTER_PARTITIONS,
      rounds: o.rounds,
      submitConcurrency: o.submitConcurrency,
      pollMs: o.pollMs,
      runnerConcurrency: o.runnerConcurrency,
      runners: 2,
      supervisors: 1,
      domain: 'default',
      logLevel: 'warn',
    },
    samples,
    summary: summarizeCluster(samples),
    notes,
  };
  writeReport(o.out, report, formatClusterReport);
}
