import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { createScrubber, REDACTED, REDACTED_PATHS } from './redact';

export type { Logger };

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
}

/**
 * The root logger of a service: JSON lines with `service`, ISO time, errors under `err`, and secrets
 * masked both by field path and in the serialized text.
 */
export function createLogger(config: LoggerConfig): Logger {
  const scrub = createScrubber(config.secrets);
  const options: LoggerOptions = {
    level: config.level ?? 'info',
    base: { service: config.service, ...config.base },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: [...REDACTED_PATHS], censor: REDACTED },
    serializers: { err: pino.stdSerializers.err },
    formatters: { level: (label) => ({ level: label }) },
    hooks: { streamWrite: scrub },
  };
  return pino(options, config.destination ?? pino.destination({ dest: 1, sync: false }));
}
