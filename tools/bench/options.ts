import { join } from 'node:path';
import { FLAG, OptionChecks, parseStrict, SHARED_OPTIONS, TEXT } from './option-checks';

export { BenchUsageError } from './option-checks';

/** What one `npm run bench` measures, from its command line. */
export interface BenchOptions {
  /** Tasks in each fan-out (default 10 000). */
  readonly tasks: number;
  /** Sequential one-task runs for the latency percentiles (default 200). */
  readonly latencyRuns: number;
  /** Tasks of the unmeasured warm-up fan-out each system gets first (default min(500, tasks)). */
  readonly warmupTasks: number;
  /** How long each system's idle CPU is measured after its warm-up (default 2000 ms; 0: not). */
  readonly idleMs: number;
  /** The shortest pause between GETs of the fan-out's run record (default 100 ms). */
  readonly pollMs: number;
  /** Where the JSON report goes (default dist/bench/report.json). */
  readonly out: string;
  /** The Redis every system runs on (default REDIS_URL, else redis://127.0.0.1:6379). */
  readonly redisUrl: string;
  /** RUNNER_CONCURRENCY of each of the two env runners (default 256). */
  readonly runnerConcurrency: number;
  /** Concurrency of the BullMQ worker (default 50, as DESIGN's budget names it). */
  readonly bullmqConcurrency: number;
  /** Longest a fan-out may take before the benchmark gives up (default 120 s). */
  readonly timeoutMs: number;
  readonly skipRaw: boolean;
  readonly skipBullmq: boolean;
  readonly skipMesh: boolean;
  readonly help: boolean;
}

export const USAGE = `npm run bench [-- options]

  --tasks N               tasks in each fan-out (default 10000)
  --latency-runs N        sequential one-task runs for p50/p95/p99 (default 200)
  --warmup-tasks N        unmeasured warm-up fan-out per system (default min(500, tasks))
  --idle-ms N             idle CPU measured per system after its warm-up (default 2000; 0: not)
  --poll-ms N             shortest pause between GETs of the fan-out's run record (default 100)
  --out PATH              JSON report (default dist/bench/report.json)
  --redis-url URL         the Redis for every system (default $REDIS_URL or redis://127.0.0.1:6379)
  --runner-concurrency N  RUNNER_CONCURRENCY of each of the two env runners (default 256)
  --bullmq-concurrency N  BullMQ worker concurrency (default 50)
  --timeout-s N           longest one fan-out may take (default 120)
  --skip-raw, --skip-bullmq, --skip-mesh   leave a system out (its ratios then read n/a)
  --scaling               the mesh alone with 1, 2, 4 runners × 1, 2 supervisors (--scaling --help)
  --help`;

const OPTIONS = {
  tasks: TEXT,
  'latency-runs': TEXT,
  'warmup-tasks': TEXT,
  'idle-ms': TEXT,
  'poll-ms': TEXT,
  'bullmq-concurrency': TEXT,
  'skip-raw': FLAG,
  'skip-bullmq': FLAG,
  'skip-mesh': FLAG,
  ...SHARED_OPTIONS,
} as const;

/** Parses the benchmark's arguments (after the script); `root` is the workspace root. */
export function parseOptions(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  root: string,
): BenchOptions {
  const values = parseStrict(args, OPTIONS, USAGE);
  const checks = new OptionChecks(USAGE);
  const tasks = checks.int('tasks', values['tasks'], 10_000, 1, 1_000_000);
  const options: BenchOptions = {
    tasks,
    latencyRuns: checks.int('latency-runs', values['latency-runs'], 200, 1, 100_000),
    warmupTasks: checks.int('warmup-tasks', values['warmup-tasks'], Math.min(500, tasks), 0, 1_000_000),
    idleMs: checks.int('idle-ms', values['idle-ms'], 2000, 0, 60_000),
    pollMs: checks.int('poll-ms', values['poll-ms'], 100, 10, 10_000),
    out: values['out'] ?? join(root, 'dist', 'bench', 'report.json'),
    redisUrl: values['redis-url'] ?? env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
    runnerConcurrency: checks.int('runner-concurrency', values['runner-concurrency'], 256, 1, 10_000),
    bullmqConcurrency: checks.int('bullmq-concurrency', values['bullmq-concurrency'], 50, 1, 10_000),
    timeoutMs: checks.int('timeout-s', values['timeout-s'], 120, 1, 3600) * 1000,
    skipRaw: values['skip-raw'] ?? false,
    skipBullmq: values['skip-bullmq'] ?? false,
    skipMesh: values['skip-mesh'] ?? false,
    help: values['help'] ?? false,
  };
  return checks.done(options);
}
