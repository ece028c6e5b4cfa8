export { createLogger, type Logger, type LoggerConfig } from './logger';
export { createScrubber, REDACTED, REDACTED_PATHS } from './redact';
