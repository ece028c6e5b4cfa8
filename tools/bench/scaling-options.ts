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

/** What one `npm run bench -- --scaling` measures, from its command line. */
export interface ScalingOptions extends SharedOptions {
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
${sharedUsage('dist/bench/scaling.json', 'the Redis', 'fan-out')}`;

/** Whether the command line asks for the scaling mode. */
export function wantsScaling(args: readonly string[]): boolean {
  return args.includes('--scaling');
}

/** The most processes of one kind the scaling mode starts on one machine. */
export const MAX_COUNT = 32;

const OPTIONS = {
  scaling: FLAG,
  tasks: TEXT,
  'warmup-tasks': TEXT,
  runners: TEXT,
  supervisors: TEXT,
  rounds: TEXT,
  'idle-ms': TEXT,
  'poll-ms': TEXT,
  ...SHARED_OPTIONS,
} as const;

/** Parses `--scaling` and its options; `root` is the workspace root. Every problem goes into one error. */
export function parseScalingOptions(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  root: string,
): ScalingOptions {
  const values = parseStrict(args, OPTIONS, SCALING_USAGE);
  const checks = new OptionChecks(SCALING_USAGE);
  const list = (name: string, raw: string | undefined, fallback: readonly number[]): readonly number[] =>
    checks.list(name, raw, fallback, (n) => n >= 1 && n <= MAX_COUNT, `an integer from 1 to ${MAX_COUNT}`);
  const tasks = checks.int('tasks', values['tasks'], 10_000, 1, 1_000_000);
  return checks.done<ScalingOptions>({
    tasks,
    warmupTasks: checks.int('warmup-tasks', values['warmup-tasks'], Math.min(1000, tasks), 0, 1_000_000),
    runners: list('runners', values['runners'], [1, 2, 4]),
    supervisors: list('supervisors', values['supervisors'], [1, 2]),
    rounds: checks.int('rounds', values['rounds'], 1, 1, 20),
    idleMs: checks.int('idle-ms', values['idle-ms'], 2000, 0, 60_000),
    pollMs: checks.int('poll-ms', values['poll-ms'], 100, 10, 10_000),
    ...sharedValues(values, checks, env, join(root, 'dist', 'bench', 'scaling.json')),
  });
}
