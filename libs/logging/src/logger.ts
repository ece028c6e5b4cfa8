import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { createScrubber, REDACTED, REDACTED_PATHS } from './redact';
import { isRedisConnectionError, scrubRedisError } from './redis-errors';

export type { Logger };

/** How long a repeated Redis error is kept to one line (ms), unless configured. */
export const DEFAULT_REPEAT_INTERVAL_MS = 10_000;

export interface LoggerConfig {
  /** The service name, on every record as `service`. */
  readonly service: string;
  readonly level?: string;
  /** Secret values to mask wherever they appear (the Redis password, API tokens). */
  readonly secrets?: readonly string[];
  /** Where records go (default: stdout). Tests pass an in-memory stream. */
  readonly destination?: DestinationStream;
  /** Extra base fields (e.g. `runnerId`). */
  readonly base?: Readonly<Record<string, unknown>>;
  /**
   * A record whose `err` says Redis is unreachable (or was caused by that) and that repeats (same level, component,
   * message and error) is written once per this many ms; the next one written says how many were left out
   * (`repeated`). Default 10 000. Other Redis errors (a refused command) are rate-limited where they happen.
   */
  readonly repeatIntervalMs?: number;
  /** The clock of that interval (tests inject one). */
  readonly now?: () => number;
}

/**
 * The root logger of a service: JSON lines with `service`, ISO time, errors under `err` (without Redis command
 * arguments; without a stack when Redis is unreachable), secrets masked both by field path and in the
 * serialized text, and repeated "Redis is unreachable" errors kept to one line per interval.
 */
export function createLogger(config: LoggerConfig): Logger {
  const scrub = createScrubber(config.secrets);
  const options: LoggerOptions = {
    level: config.level ?? 'info',
    base: { service: config.service, ...config.base },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: [...REDACTED_PATHS], censor: REDACTED },
    serializers: { err: serializeError },
    formatters: { level: (label) => ({ level: label }) },
    hooks: {
      streamWrite: scrub,
      logMethod: repeatLimiter(config.repeatIntervalMs ?? DEFAULT_REPEAT_INTERVAL_MS, config.now ?? Date.now),
    },
  };
  return pino(options, config.destination ?? pino.destination({ dest: 1, sync: false }));
}

function serializeError(err: unknown): unknown {
  const serialized = pino.stdSerializers.err(err as Error) as unknown;
  if (typeof serialized !== 'object' || serialized === null) return serialized;
  return scrubRedisError(serialized as Record<string, unknown>, err);
}

type LogMethod = NonNullable<NonNullable<LoggerOptions['hooks']>['logMethod']>;

/**
 * A log-method hook that lets a repeated "Redis is unreachable" error through once per interval: every component
 * retrying against a Redis that is away would otherwise write a line on every attempt.
 */
function repeatLimiter(intervalMs: number, now: () => number): LogMethod {
  const seen = new Map<string, { until: number; left: number }>();
  return function (this: Logger, args, method, level) {
    const [first, second] = args as unknown[];
    const err = typeof first === 'object' && first !== null ? (first as { err?: unknown }).err : undefined;
    if (intervalMs <= 0 || level >= 60 || !isRedisConnectionError(err)) return method.apply(this, args);
    const component = (this.bindings() as { component?: unknown }).component;
    const reason = String((err as { message?: unknown }).message).slice(0, 200);
    const key = [level, component, typeof second === 'string' ? second : '', reason].join('\u0000');
    const t = now();
    const state = seen.get(key);
    if (state && t < state.until) {
      state.left++;
      return;
    }
    seen.set(key, { until: t + intervalMs, left: 0 });
    if (seen.size > 1000) seen.delete(seen.keys().next().value as string);
    if (state && state.left > 0) {
      const [obj, ...rest] = args as unknown[];
      return method.apply(this, [{ ...(obj as object), repeated: state.left }, ...rest] as Parameters<LogMethod>[0]);
    }
    return method.apply(this, args);
  };
}
