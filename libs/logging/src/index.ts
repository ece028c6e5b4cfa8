export { createLogger, DEFAULT_REPEAT_INTERVAL_MS, type Logger, type LoggerConfig } from './logger';
export { createScrubber, REDACTED, REDACTED_PATHS } from './redact';
export { isRedisConnectionError, isRedisError } from './redis-errors';
