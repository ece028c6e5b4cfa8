import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BenchUsageError } from './options';

/** What one `npm run bench -- --cluster` measures, from its command line. */
export interface ClusterOptions {
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
  /** RUNNER_CONCURRENCY of each env runner (default 256). */
  readonly runnerConcurrency: number;
  /** Longest a measured phase may take before the benchmark gives up (default 120 s). */
  readonly timeoutMs: number;
  readonly help: boolean;
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
  --out PATH              JSON report (default dist/bench/cluster.json)
  --redis-url URL         the standalone Redis (default $REDIS_URL or redis://127.0.0.1:6379)
  --runner-concurrency N  RUNNER_CONCURRENCY of each env runner (default 256)
  --timeout-s N           longest one measured phase may take (default 120)
  --help`;

/** Whether the command line asks for the cluster mode. */
export function wantsCluster(args: readonly string[]): boolean {
  return args.includes('--cluster');
}

/** The most masters one bench cluster has on one machine. */
export const MAX_MASTERS = 16;

/** Parses `--cluster` and its options; `root` is the workspace root. Every problem goes into one error. */
export function parseClusterOptions(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  root: string,
): ClusterOptions {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(args).values;
  } catch (err) {
    throw new BenchUsageError([(err as Error).message], CLUSTER_USAGE);
  }
  const problems: string[] = [];
  const int = (name: string, raw: string | undefined, fallback: number, min: number, max: number): number => {
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || n < min || n > max) {
      problems.push(`--${name}: ${JSON.stringify(raw)} is not an integer from ${min} to ${max}`);
      return fallback;
    }
    return n;
  };
  let masters: readonly number[] = [1, 3];
  if (values['masters'] !== undefined) {
    const items = values['masters'].split(',').map((s) => s.trim());
    const bad = items.filter((s) => !/^\d+$/.test(s) || Number(s) < 1 || Number(s) === 2 || Number(s) > MAX_MASTERS);
    if (bad.length > 0) {
      const them = bad.map((item) => JSON.stringify(item)).join(', ');
      problems.push(
        `--masters: ${them} ${bad.length === 1 ? 'is' : 'are'} not 1 or an integer from 3 to ${MAX_MASTERS} (redis-cli joins at least 3)`,
      );
    } else masters = [...new Set(items.map(Number))].sort((a, b) => a - b);
  }
  const standalone = !(values['no-standalone'] ?? false);
  const runs = int('runs', values['runs'], 200, 1, 10_000);
  const options: ClusterOptions = {
    runs,
    tasksPerRun: int('tasks-per-run', values['tasks-per-run'], 50, 1, 10_000),
    warmupRuns: int('warmup-runs', values['warmup-runs'], Math.min(20, runs), 0, 10_000),
    masters,
    standalone,
    partitions: values['partitions'] === undefined ? undefined : int('partitions', values['partitions'], 8, 1, 1024),
    rounds: int('rounds', values['rounds'], 1, 1, 20),
    submitConcurrency: int('submit-concurrency', values['submit-concurrency'], 20, 1, 1000),
    pollMs: int('poll-ms', values['poll-ms'], 500, 10, 10_000),
    out: values['out'] ?? join(root, 'dist', 'bench', 'cluster.json'),
    redisUrl: values['redis-url'] ?? env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
    runnerConcurrency: int('runner-concurrency', values['runner-concurrency'], 256, 1, 10_000),
    timeoutMs: int('timeout-s', values['timeout-s'], 120, 1, 3600) * 1000,
    help: values['help'] ?? false,
  };
  if (problems.length > 0) throw new BenchUsageError(problems, CLUSTER_USAGE);
  return options;
}

function parse(args: readonly string[]) {
  const text = { type: 'string' } as const;
  const flag = { type: 'boolean' } as const;
  return parseArgs({
    args: [...args],
    strict: true,
    allowPositionals: false,
    options: {
      cluster: flag,
      runs: text,
      'tasks-per-run': text,
      'warmup-runs': text,
      masters: text,
      'no-standalone': flag,
      partitions: text,
      rounds: text,
      'submit-concurrency': text,
      'poll-ms': text,
      out: text,
      'redis-url': text,
      'runner-concurrency': text,
      'timeout-s': text,
      help: flag,
    },
  });
}
