/**
 * What the command lines of every bench mode share: strict parsing (no positionals, no unknown
 * options), checked integers and integer lists with every problem collected into one BenchUsageError
 * that ends with the mode's usage, and the options each mode takes alike (report, Redis, runners, limit).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A bad command line; the message lists every problem, then the usage. */
export class BenchUsageError extends Error {
  constructor(
    readonly problems: readonly string[],
    usage: string,
  ) {
    super(`bad options:\n  ${problems.join('\n  ')}\n\n${usage}`);
    this.name = 'BenchUsageError';
  }
}

/** parseArgs' two option types. */
export const TEXT = { type: 'string' } as const;
export const FLAG = { type: 'boolean' } as const;

/** The options every mode takes: see `sharedValues`. */
export const SHARED_OPTIONS = {
  out: TEXT,
  'redis-url': TEXT,
  'runner-concurrency': TEXT,
  'timeout-s': TEXT,
  help: FLAG,
} as const;

/**
 * The usage lines of SHARED_OPTIONS, the last of a mode's usage: `out` is the report's default path,
 * `redis` what the Redis is, `phase` what --timeout-s bounds.
 */
export function sharedUsage(out: string, redis: string, phase: string): string {
  return [
    `  --out PATH              JSON report (default ${out})`,
    `  --redis-url URL         ${redis} (default $REDIS_URL or redis://127.0.0.1:6379)`,
    '  --runner-concurrency N  RUNNER_CONCURRENCY of each env runner (default 256)',
    `  --timeout-s N           longest one ${phase} may take (default 120)`,
    '  --help',
  ].join('\n');
}

/** The values of `args` against `options`, parsed strictly; a parse error throws a BenchUsageError with `usage`. */
export function parseStrict<O extends NonNullable<ParseArgsConfig['options']>>(
  args: readonly string[],
  options: O,
  usage: string,
) {
  try {
    return parseArgs({ args: [...args], strict: true, allowPositionals: false, options }).values;
  } catch (err) {
    throw new BenchUsageError([(err as Error).message], usage);
  }
}

/** Checks option values one by one, collecting every problem; `done` throws them all at once. */
export class OptionChecks {
  private readonly problems: string[] = [];

  constructor(private readonly usage: string) {}

  /** `raw` as an integer from `min` to `max`; `fallback` when absent, or when bad (a problem). */
  int(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || n < min || n > max) {
      this.problems.push(`--${name}: ${JSON.stringify(raw)} is not an integer from ${min} to ${max}`);
      return fallback;
    }
    return n;
  }

  /**
   * `raw` as a comma-separated list of integers that pass `ok`, without repeats, ascending; `fallback`
   * when absent, or when an item is bad (a problem: the bad items "are not `expected`").
   */
  list(
    name: string,
    raw: string | undefined,
    fallback: readonly number[],
    ok: (n: number) => boolean,
    expected: string,
  ): readonly number[] {
    if (raw === undefined) return fallback;
    const items = raw.split(',').map((s) => s.trim());
    const bad = items.filter((s) => !/^\d+$/.test(s) || !ok(Number(s)));
    if (bad.length > 0) {
      const them = bad.map((item) => JSON.stringify(item)).join(', ');
      this.problems.push(`--${name}: ${them} ${bad.length === 1 ? 'is' : 'are'} not ${expected}`);
      return fallback;
    }
    return [...new Set(items.map(Number))].sort((a, b) => a - b);
  }

  /** `options`, or a BenchUsageError listing every problem found so far. */
  done<T>(options: T): T {
    if (this.problems.length > 0) throw new BenchUsageError(this.problems, this.usage);
    return options;
  }
}

/** What SHARED_OPTIONS give, as every mode's options hold it. */
export interface SharedOptions {
  /** Where the JSON report goes. */
  readonly out: string;
  /** The Redis (default REDIS_URL, else redis://127.0.0.1:6379). */
  readonly redisUrl: string;
  /** RUNNER_CONCURRENCY of each env runner (default 256). */
  readonly runnerConcurrency: number;
  /** Longest a measured phase may take before the benchmark gives up (default 120 s). */
  readonly timeoutMs: number;
  readonly help: boolean;
}

/** The values of SHARED_OPTIONS, checked in this order; `out` defaults to `defaultOut`. */
export function sharedValues(
  values: {
    readonly out?: string;
    readonly 'redis-url'?: string;
    readonly 'runner-concurrency'?: string;
    readonly 'timeout-s'?: string;
    readonly help?: boolean;
  },
  checks: OptionChecks,
  env: Readonly<Record<string, string | undefined>>,
  defaultOut: string,
): SharedOptions {
  return {
    out: values.out ?? defaultOut,
    redisUrl: values['redis-url'] ?? env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
    runnerConcurrency: checks.int('runner-concurrency', values['runner-concurrency'], 256, 1, 10_000),
    timeoutMs: checks.int('timeout-s', values['timeout-s'], 120, 1, 3600) * 1000,
    help: values.help ?? false,
  };
}
