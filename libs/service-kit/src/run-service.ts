import {
  describeSettings,
  loadConfig,
  secretsOf,
  SHARED_SETTINGS,
  type ConfigOf,
  type SettingSpec,
} from '@mesh/config';
import { ConfigError } from '@mesh/errors';
import { createLogger, type Logger } from '@mesh/logging';
import { installShutdown, type ShutdownSteps } from './shutdown';

/** What a started service hands back: the steps that stop it, in order. */
export interface RunningService {
  readonly steps: ShutdownSteps;
}

export interface RunServiceOptions<S extends SettingSpec & typeof SHARED_SETTINGS> {
  readonly service: string;
  readonly spec: S;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly argv: readonly string[];
  readonly start: (config: ConfigOf<S>, logger: Logger) => Promise<RunningService>;
  readonly shutdownTimeoutMs?: (config: ConfigOf<S>) => number;
}

/** Exit status for a configuration error: start-up refused, nothing started. */
export const EXIT_CONFIG = 2;

/**
 * The common start-up of every Mesh service: `--help`; config parsed once (a bad setting prints one
 * line naming it and exits 2); the root logger with the config's secrets masked; `start`; graceful
 * shutdown on SIGTERM/SIGINT; and a fatal error logged and turned into a shutdown.
 */
export async function runService<S extends SettingSpec & typeof SHARED_SETTINGS>(
  options: RunServiceOptions<S>,
): Promise<void> {
  if (options.argv.includes('--help')) {
    process.stdout.write(`${options.service} settings (env var, flag):\n${describeSettings(options.spec)}\n`);
    process.exit(0);
  }
  let config: ConfigOf<S>;
  try {
    config = loadConfig(options.spec, { env: options.env, argv: options.argv });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${options.service}: ${err.message}\n`);
    process.exit(EXIT_CONFIG);
  }
  const logger = createLogger({
    service: options.service,
    level: config.logLevel,
    secrets: secretsOf(options.spec, config),
  });
  let steps: ShutdownSteps = [];
  let markStarted: () => void = () => undefined;
  const started = new Promise<void>((resolve) => (markStarted = resolve));
  // Signals are handled from the first moment: one that comes during start-up waits for it, then stops what started.
  const shutdown = installShutdown({
    logger,
    steps: () => steps,
    ready: started,
    timeoutMs: options.shutdownTimeoutMs?.(config) ?? 10_000,
  });
  const fatal = (err: unknown, kind: string): void => {
    logger.fatal({ err }, kind);
    void shutdown(kind); // never rejects: each step's failure is caught and logged
  };
  process.on('uncaughtException', (err) => fatal(err, 'uncaught exception'));
  process.on('unhandledRejection', (err) => fatal(err, 'unhandled rejection'));
  try {
    steps = (await options.start(config, logger)).steps;
    markStarted();
  } catch (err) {
    if (err instanceof ConfigError) {
      // A file or module named by a setting is bad: the same one-line refusal as a bad value.
      process.stderr.write(`${options.service}: ${err.message}\n`);
      process.exit(EXIT_CONFIG);
    }
    logger.fatal({ err }, 'start-up failed');
    // Let pino flush before exiting.
    setImmediate(() => process.exit(1));
  }
}
