/**
 * `npm run bench [-- --tasks 10000 --latency-runs 200 --out dist/bench/report.json]`: builds the
 * apps, then measures in ONE run on one Redis (every key under a private prefix, deleted at the end):
 *
 * 1. the raw Redis-streams loop (raw-loop.ts, its own process): the ceiling for any stream-based mesh;
 * 2. BullMQ 6 (bullmq-producer.ts and bullmq-worker.ts, their own processes, concurrency 50);
 * 3. the mesh: the built orchestrator, supervisor and two env runners (dist/apps/<app>/main.js),
 *    driven through the HTTP API, timed by the run record's own submittedAt / finishedAt.
 *
 * Each system gets an unmeasured warm-up fan-out, then a fan-out of N no-op tasks (tasks/s) and
 * sequential one-task runs (p50/p95/p99). CPU per task comes from utime+stime in /proc/<pid>/stat of
 * every process involved, Redis included, read before and after each phase. It prints the ratios
 * against DESIGN.md's budgets with PASS/MISS and writes a JSON report. Bundled with the child
 * scripts into dist/tools/bench/ by the `bench` script; Ctrl-C stops everything and deletes the keys.
 *
 * `npm run bench -- --scaling` measures the mesh alone with 1, 2, 4 runners × 1, 2 supervisors instead
 * (scaling-bench.ts).
 *
 * `npm run bench -- --cluster` measures how Redis's CPU per task splits over the masters of a Redis Cluster
 * (1 and 3 masters, against the standalone Redis) under many concurrent runs (cluster-bench.ts).
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { benchBullmq } from './bullmq-system';
import { benchMesh } from './mesh-system';
import { BenchUsageError } from './option-checks';
import { parseOptions, USAGE, type BenchOptions } from './options';
import { benchRawLoop } from './raw-system';
import { redisFacts } from './redis-host';
import { buildReport, formatReport } from './report';
import type { SystemContext, SystemName, SystemResult } from './results';
import { hostFacts, writeReport } from './run-report';
import { runCluster } from './cluster-bench';
import { CLUSTER_USAGE, parseClusterOptions, wantsCluster } from './cluster-options';
import { runScaling } from './scaling-bench';
import { parseScalingOptions, SCALING_USAGE, wantsScaling } from './scaling-options';
import { inSession, type BenchSession } from './session';

// Bundled to dist/tools/bench/mesh-bench.js: the workspace root is three folders up.
const ROOT = join(__dirname, '..', '..', '..');

function bullmqVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'node_modules', 'bullmq', 'package.json'), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

async function run(options: BenchOptions, session: BenchSession): Promise<void> {
  const { prefix, progress, say, onCleanup } = session;
  const load = loadavg()[0] ?? 0;
  const facts = await redisFacts(session.redis);
  const notes: string[] = [
    'One run on a shared machine: every process of every system, and whatever else runs there, competes for the same cores; read the numbers as ranges.',
  ];
  notes.push(
    'CPU per run in the latency phase includes what each process uses while idle between the sequential runs (the mesh client polls every 50 ms): compare the idle table.',
  );
  if (facts.note) notes.push(facts.note);
  else
    notes.push(
      `Redis CPU is that of the whole redis-server (pid ${facts.pid}); commands of other clients on it during a phase count too.`,
    );
  const ctx: SystemContext = {
    root: ROOT,
    redisUrl: options.redisUrl,
    prefix,
    tasks: options.tasks,
    warmupTasks: options.warmupTasks,
    latencyRuns: options.latencyRuns,
    idleMs: options.idleMs,
    timeoutMs: options.timeoutMs,
    progress,
    redisProcess: facts.process,
    onCleanup,
    say,
  };
  say(`key prefix ${prefix}, Redis ${facts.version} at ${options.redisUrl}`);
  const results: Partial<Record<SystemName, SystemResult>> = {};
  if (!options.skipRaw) results.raw = await benchRawLoop(ctx);
  if (!options.skipBullmq) results.bullmq = await benchBullmq(ctx, options.bullmqConcurrency);
  if (!options.skipMesh)
    results.mesh = await benchMesh(ctx, { runnerConcurrency: options.runnerConcurrency, pollMs: options.pollMs });

  const cpuList = cpus();
  const report = buildReport(
    {
      ...hostFacts(cpuList),
      redisVersion: facts.version,
      bullmqVersion: bullmqVersion(),
      redisPid: facts.pid ?? null,
      loadAverage: { start: load, end: loadavg()[0] ?? 0 },
    },
    {
      tasks: options.tasks,
      latencyRuns: options.latencyRuns,
      warmupTasks: options.warmupTasks,
      idleMs: options.idleMs,
      fanOutPollMs: options.pollMs,
      runnerConcurrency: options.runnerConcurrency,
      bullmqConcurrency: options.bullmqConcurrency,
      runners: 2,
      logLevel: 'warn',
    },
    results,
    notes,
  );
  writeReport(options.out, report, formatReport);
}

/**
 * One mode: its options from `parse` (a bad command line prints the problems and gives exit code 2),
 * its `usage` for --help, else `work` in a bench session on the options' Redis, `out` made absolute.
 */
async function runMode<O extends { readonly out: string; readonly redisUrl: string; readonly help: boolean }>(
  parse: () => O,
  usage: string,
  work: (options: O, session: BenchSession) => Promise<void>,
): Promise<number> {
  let options: O;
  try {
    options = parse();
  } catch (err) {
    if (err instanceof BenchUsageError) {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (options.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const resolved = { ...options, out: resolve(options.out) };
  return inSession(resolved.redisUrl, (session) => work(resolved, session));
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  // `--cluster`: many runs at once on the standalone Redis and on clusters of 1 and 3 masters (cluster-bench.ts).
  if (wantsCluster(args))
    return runMode(
      () => parseClusterOptions(args, process.env, ROOT),
      CLUSTER_USAGE,
      (options, session) => runCluster(options, session, ROOT),
    );
  // `--scaling`: fan-outs with 1, 2 and 4 runners × 1 and 2 supervisors (scaling-bench.ts).
  if (wantsScaling(args))
    return runMode(
      () => parseScalingOptions(args, process.env, ROOT),
      SCALING_USAGE,
      (options, session) => runScaling(options, session, ROOT),
    );
  return runMode(() => parseOptions(args, process.env, ROOT), USAGE, run);
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${String(err)}\n`);
    process.exit(1);
  },
);
