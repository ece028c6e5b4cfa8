import type { Logger } from '@mesh/logging';

export type ShutdownSteps = ReadonlyArray<readonly [name: string, run: () => Promise<void> | void]>;

export interface ShutdownOptions {
  readonly logger: Logger;
  /** Steps run in order on the first SIGTERM/SIGINT; each failure is logged and the rest still run. */
  readonly steps: ShutdownSteps | (() => ShutdownSteps);
  /** Awaited before the steps run (a signal during start-up waits for start-up to finish). */
  readonly ready?: Promise<unknown>;
  /** Past this many ms the process exits 1 even if steps are still running (default 10000). */
  readonly timeoutMs?: number;
  readonly signals?: readonly NodeJS.Signals[];
  /** Injected in tests; defaults to process.exit. */
  readonly exit?: (code: number) => void;
  readonly process?: Pick<NodeJS.Process, 'once' | 'removeListener'>;
}

/**
 * Graceful shutdown: the first signal runs the steps and exits 0 (1 if a step failed or time ran
 * out); a second signal exits 1 at once. Returns the function that starts it, for tests and for
 * fatal errors.
 */
export function installShutdown(options: ShutdownOptions): (reason: string) => Promise<void> {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const proc = options.process ?? process;
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  let running: Promise<void> | undefined;

  const shutdown = (reason: string): Promise<void> => {
    if (running) return running;
    options.logger.info({ reason }, 'shutting down');
    running = (async () => {
      let failed = false;
      const timer = setTimeout(() => {
        options.logger.error({ timeoutMs: options.timeoutMs ?? 10_000 }, 'shutdown timed out');
        exit(1);
      }, options.timeoutMs ?? 10_000);
      timer.unref();
      await options.ready?.catch(() => undefined);
      const steps = typeof options.steps === 'function' ? options.steps() : options.steps;
      for (const [name, run] of steps) {
        try {
          await run();
        } catch (err) {
          failed = true;
          options.logger.error({ err, step: name }, 'shutdown step failed');
        }
      }
      clearTimeout(timer);
      options.logger.info({ failed }, 'stopped');
      exit(failed ? 1 : 0);
    })();
    return running;
  };

  const onSignal = (signal: NodeJS.Signals): void => {
    if (running) {
      options.logger.warn({ signal }, 'second signal, exiting now');
      exit(1);
      return;
    }
    void shutdown(signal); // never rejects: each step's failure is caught and logged
    proc.once(signal, onSignal);
  };
  for (const signal of signals) proc.once(signal, onSignal);
  return shutdown;
}
