import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BenchUsageError } from './options';

/** What one `npm run bench -- --scaling` measures, from its command line. */
export interface ScalingOptions {
  /** Tasks in each measured fan-out (default 10 000). */
  readonly tasks: number;
  /** Tasks of the unmeasured warm-up fan-out each freshly started mesh gets (default min(1000, tasks)). */
  readonly warmupTasks: number;
  /** Runner counts to measure, ascending (default 1, 2, 4). */
  readonly runners: readonly number[];
  /** Supervisor counts to measure, ascending (default 1, 2). */
  readonly supervisors: readonly number[];
  /** How many times the whole grid is measured, one pass after the other (default 1). */
  readonly rounds: number;
  /** How long each mesh's idle CPU is measured after its warm-up (default 2000 ms; 0: not). */
  readonly idleMs: number;
  /** The pause between GETs of the run summaries (`GET /runs`) while a fan-out runs (default 100 ms). */
  readonly pollMs: number;
  /** Where the JSON report goes (default dist/bench/scaling.json). */
  readonly out: string;
  /** The Redis the mesh runs on (default REDIS_URL, else redis://127.0.0.1:6379). */
  readonly redisUrl: string;
  /** RUNNER_CONCURRENCY of each env runner (default 256, as in the main benchmark). */
  readonly runnerConcurrency: number;
  /** Longest a fan-out may take before the benchmark gives up (default 120 s). */
  readonly timeoutMs: number;
  readonly help: boolean;
}

export const SCALING_USAGE = `npm run bench -- --scaling [options]

Starts the built mesh once per combination of runner and supervisor counts (orchestrator, N supervisors,
M env runners in domain "default", all on this machine), runs one fan-out on each and prints how
tasks/s and CPU per task change against the 1 runner × 1 supervisor mesh.

  --tasks N               tasks in each measured fan-out (default 10000)
  --warmup-tasks N        unmeasured warm-up fan-out of each mesh (default min(1000, tasks))
  --runners LIST          runner counts, comma-separated (default 1,2,4)
  --supervisors LIST      supervisor counts, comma-separated (default 1,2)
  --rounds N              measure the whole grid N times, one pass after another; rows show medians (default 1)
  --idle-ms N             idle CPU measured per mesh after its warm-up (default 2000; 0: not)
  --poll-ms N             pause between GETs of /runs (the run's summary) while a fan-out runs (default 100)
  --out PATH              JSON report (default dist/bench/scaling.json)
  --redis-url URL         the Redis (default $REDIS_URL or redis://127.0.0.1:6379)
  --runner-concurrency N  RUNNER_CONCURRENCY of each env runner (default 256)
  --timeout-s N           longest one fan-out may take (default 120)
  --help`;

/** Whether the command line asks for the scaling mode. */
export function wantsScaling(args: readonly string[]): boolean {
  return args.includes('--scaling');
}

/** The most processes of one kind the scaling mode starts on one machine. */
export const MAX_COUNT = 32;

/** Parses `--scaling` and its options; `root` is the workspace root. Every problem goes into one error. */
export function parseScalingOptions(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  root: string,
): ScalingOptions {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(args).values;
  } catch (err) {
    throw new BenchUsageError([(err as Error).message], SCALING_USAGE);
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
  const list = (name: string, raw: string | undefined, fallback: readonly number[]): readonly number[] => {
    if (raw === undefined) return fallback;
    const items = raw.split(',').map((s) => s.trim());
    const bad = items.filter((s) => !/^\d+$/.test(s) || Number(s) < 1 || Number(s) > MAX_COUNT);
    if (bad.length > 0) {
      const them = bad.map((item) => JSON.stringify(item)).join(', ');
      problems.push(`--${name}: ${them} ${bad.length === 1 ? 'is' : 'are'} not an integer from 1 to ${MAX_COUNT}`);
      return fallback;
    }
    return [...new Set(items.map(Number))].sort((a, b) => a - b);
  };
  const tasks = int('tasks', values['tasks'], 10_000, 1, 1_000_000);
  const options: ScalingOptions = {
    tasks,
    warmupTasks: int('warmup-tasks', values['warmup-tasks'], Math.min(1000, tasks), 0, 1_000_000),
    runners: list('runners', values['runners'], [1, 2, 4]),
    supervisors: list('supervisors', values['supervisors'], [1, 2]),
    rounds: int('rounds', values['rounds'], 1, 1, 20),
    idleMs: int('idle-ms', values['idle-ms'], 2000, 0, 60_000),
    pollMs: int('poll-ms', values['poll-ms'], 100, 10, 10_000),
    out: values['out'] ?? join(root, 'dist', 'bench', 'scaling.json'),
    redisUrl: values['redis-url'] ?? env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
    runnerConcurrency: int('runner-concurrency', values['runner-concurrency'], 256, 1, 10_000),
    timeoutMs: int('timeout-s', values['timeout-s'], 120, 1, 3600) * 1000,
    help: values['help'] ?? false,
  };
  if (problems.length > 0) throw new BenchUsageError(problems, SCALING_USAGE);
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
      scaling: flag,
      tasks: text,
      'warmup-tasks': text,
      runners: text,
      supervisors: text,
      rounds: text,
      'idle-ms': text,
      'poll-ms': text,
      out: text,
      'redis-url': text,
      'runner-concurrency': text,
      'timeout-s': text,
      help: flag,
    },
  });
}
