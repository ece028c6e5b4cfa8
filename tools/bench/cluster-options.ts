import { join } from 'node:path';
import {
  FLAG,
  OptionChecks,
  parseStrict,
  sharedUsage,
  sharedValues,
  SHARED_OPTIONS,
  TEXT,
  type SharedOptions,
} from './option-checks';

/** What one `npm run bench -- --cluster` measures, from its command line. */
export interface ClusterOptions extends SharedOptions {
  /** Runs submitted at once in each measured phase (default 200). */
  readonly runs: number;
  /** Echo tasks of each run, all independent (default 50). */
  readonly tasksPerRun: number;
  /** Runs of the unmeasured warm-up each freshly started mesh gets (default min(20, runs)). */
  readonly warmupRuns: number;
  /** Master counts of the clusters to measure, ascending, each 1 or 3 and more (default 1, 3). */
  readonly masters: readonly number[];
  /** Whether the standalone Redis (`--redis-url`, MESH_PARTITIONS unset) is measured first, as the base (default yes). */
  readonly standalone: boolean;
  /** MESH_PARTITIONS of the meshes on a cluster; undefined: the services' default (8 with a cluster). */
  readonly partitions: number | undefined;
  /** How many times every setup is measured, one pass after the other (default 1). */
  readonly rounds: number;
  /** Submissions (POST /workflow) in flight at once (default 20). */
  readonly submitConcurrency: number;
  /** The pause between the polls of the run list while the runs run (default 500 ms). */
  readonly pollMs: number;
  /** Where the JSON report goes (default dist/bench/cluster.json). */
  readonly out: string;
  /** The standalone Redis (default REDIS_URL, else redis://127.0.0.1:6379); the session's keys live there. */
  readonly redisUrl: string;
}

export const CLUSTER_USAGE = `npm run bench -- --cluster [options]

Starts the built mesh (orchestrator, 1 supervisor, 2 env runners) once on the standalone Redis and once
on each Redis Cluster it starts itself (redis-server processes on free ports, no replicas, nothing
persisted; stopped and removed at the end), submits many runs at once and prints tasks/s, CPU per task
of each process kind, and the Redis CPU per task of each master, with the largest master's share.

  --runs N                runs submitted at once in each measured phase (default 200)
  --tasks-per-run N       echo tasks of each run (default 50)
  --warmup-runs N         unmeasured warm-up runs of each mesh (default min(20, runs))
  --masters LIST          master counts of the clusters, comma-separated, each 1 or 3-16 (default 1,3)
  --no-standalone         do not measure the standalone Redis
  --partitions N          MESH_PARTITIONS of the meshes on a cluster (default: the services' own, 8)
  --rounds N              measure every setup N times, one pass after another; rows show medians (default 1)
  --submit-concurrency N  submissions in flight at once (default 20)
  --poll-ms N             pause between polls of the run list (default 500)
${sharedUsage('dist/bench/cluster.json', 'the standalone Redis', 'measured phase')}`;

/** Whether the command line asks for the cluster mode. */
export function wantsCluster(args: readonly string[]): boolean {
  return args.includes('--cluster');
}

/** The most masters one bench cluster has on one machine. */
export const MAX_MASTERS = 16;

const OPTIONS = {
  cluster: FLAG,
  runs: TEXT,
  'tasks-per-run': TEXT,
  'warmup-runs': TEXT,
  masters: TEXT,
  'no-standalone': FLAG,
  partitions: TEXT,
  rounds: TEXT,
  'submit-concurrency': TEXT,
  'poll-ms': TEXT,
  ...SHARED_OPTIONS,
} as const;

/** Parses `--cluster` and its options; `root` is the workspace root. Every problem goes into one error. */
export function parseClusterOptions(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  root: string,
): ClusterOptions {
  const values = parseStrict(args, OPTIONS, CLUSTER_USAGE);
  const checks = new OptionChecks(CLUSTER_USAGE);
  const masters = checks.list(
    'masters',
    values['masters'],
    [1, 3],
    (n) => n >= 1 && n !== 2 && n <= MAX_MASTERS,
    `1 or an integer from 3 to ${MAX_MASTERS} (redis-cli joins at least 3)`,
  );
  const standalone = !(values['no-standalone'] ?? false);
  const runs = checks.int('runs', values['runs'], 200, 1, 10_000);
  return checks.done<ClusterOptions>({
    runs,
    tasksPerRun: checks.int('tasks-per-run', values['tasks-per-run'], 50, 1, 10_000),
    warmupRuns: checks.int('warmup-runs', values['warmup-runs'], Math.min(20, runs), 0, 10_000),
    masters,
    standalone,
    partitions:
      values['partitions'] === undefined ? undefined : checks.int('partitions', values['partitions'], 8, 1, 1024),
    rounds: checks.int('rounds', values['rounds'], 1, 1, 20),
    submitConcurrency: checks.int('submit-concurrency', values['submit-concurrency'], 20, 1, 1000),
    pollMs: checks.int('poll-ms', values['poll-ms'], 500, 10, 10_000),
    ...sharedValues(values, checks, env, join(root, 'dist', 'bench', 'cluster.json')),
  });
}
