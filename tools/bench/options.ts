import { join } from 'node:path';
import { parseArgs } from 'node:util';

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

/** A bad command line; the message lists every problem. */
export class BenchUsageError extends Error {
  constructor(
    readonly problems: readonly string[],
    usage: string = USAGE,
  ) {
    super(`bad options:\n  ${problems.join('\n  ')}\n\n${usage}`);
    this.name = 'BenchUsageError';
  }
}

/** Parses the benchmark's arguments (after the script); `root` is the workspace root. */
export function parseOptions(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  root: string,
): BenchOptions {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(args).values;
  } catch (err) {
    throw new BenchUsageError([(err as Error).message]);
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
  const tasks = int('tasks', values['tasks'], 10_000, 1, 1_000_000);
  const options: BenchOptions = {
    tasks,
    latencyRuns: int('latency-runs', values['latency-runs'], 200, 1, 100_000),
    warmupTasks: int('warmup-tasks', values['warmup-tasks'], Math.min(500, tasks), 0, 1_000_000),
    idleMs: int('idle-ms', values['idle-ms'], 2000, 0, 60_000),
    pollMs: int('poll-ms', values['poll-ms'], 100, 10, 10_000),
    out: values['out'] ?? join(root, 'dist', 'bench', 'report.json'),
    redisUrl: values['redis-url'] ?? env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
    runnerConcurrency: int('runner-concurrency', values['runner-concurrency'], 256, 1, 10_000),
    bullmqConcurrency: int('bullmq-concurrency', values['bullmq-concurrency'], 50, 1, 10_000),
    timeoutMs: int('timeout-s', values['timeout-s'], 120, 1, 3600) * 1000,
    skipRaw: values['skip-raw'] ?? false,
    skipBullmq: values['skip-bullmq'] ?? false,
    skipMesh: values['skip-mesh'] ?? false,
    help: values['help'] ?? false,
  };
  if (problems.length > 0) throw new BenchUsageError(problems);
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
      tasks: text,
      'latency-runs': text,
      'warmup-tasks': text,
      'idle-ms': text,
      'poll-ms': text,
      out: text,
      'redis-url': text,
      'runner-concurrency': text,
      'bullmq-concurrency': text,
      'timeout-s': text,
      'skip-raw': flag,
      'skip-bullmq': flag,
      'skip-mesh': flag,
      help: flag,
    },
  });
}
