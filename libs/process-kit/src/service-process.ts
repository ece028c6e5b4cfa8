import type { ChildProcess } from 'node:child_process';
import { exitOf, stopProcess, type ProcessExit } from './exit';
import { spawnBuiltApp, type BuiltAppOptions } from './built-app';
import { onJsonRecords } from './json-records';

/** How much of a service's stderr is kept for error messages. */
const STDERR_TAIL_CHARS = 64 * 1024;

export interface ServiceSpawnOptions extends BuiltAppOptions {
  /** Called with each JSON log record the service writes to stdout. */
  readonly onRecord?: (record: Record<string, unknown>) => void;
}

/** A built Mesh service running as a child process. */
export interface SpawnedService {
  readonly app: string;
  /** Its stdout and stderr are pipes; a caller may pipe them on (e.g. to pino-pretty). */
  readonly child: ChildProcess;
  /** Resolves once the process has exited; never rejects. */
  readonly exited: Promise<ProcessExit>;
  /** The last 64 KiB it wrote to stderr. */
  stderr(): string;
  /**
   * Resolves with the port of its `listening` log record (an info record: not seen under LOG_LEVEL
   * warn or quieter). Rejects when the process exits first, or after `timeoutMs` (default 10 000),
   * having killed it with SIGKILL so that nothing is left running behind a failed start.
   */
  listening(timeoutMs?: number): Promise<number>;
  /** Sends `signal` (default SIGTERM) unless it has ended, and resolves once it has exited. */
  stop(signal?: NodeJS.Signals): Promise<ProcessExit>;
}

/** Starts a built service (`dist/apps/<app>/main.js`); throws when it has not been built. */
export function spawnService(options: ServiceSpawnOptions): SpawnedService {
  const { app } = options;
  const child = spawnBuiltApp(options);
  const exited = exitOf(child);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + String(chunk)).slice(-STDERR_TAIL_CHARS);
  });
  let announce: (port: number) => void = () => undefined;
  const announced = new Promise<number>((resolve) => (announce = resolve));
  if (child.stdout) {
    onJsonRecords(child.stdout, (record) => {
      options.onRecord?.(record);
      if (record['msg'] === 'listening') announce(Number(record['port']));
    });
  }

  return {
    app,
    child,
    exited,
    stderr: () => stderr,
    async listening(timeoutMs = 10_000) {
      let timer: NodeJS.Timeout | undefined;
      const exitedFirst = exited.then(({ code, signal, error }) => {
        throw new Error(`${app} exited with ${error?.message ?? signal ?? code} before listening; stderr: ${stderr}`);
      });
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`${app} did not log "listening" within ${timeoutMs} ms; stderr: ${stderr}`));
        }, timeoutMs);
      });
      try {
        return await Promise.race([announced, exitedFirst, timedOut]);
      } finally {
        // Promise.race has subscribed to the losers, so their later rejections are handled.
        clearTimeout(timer);
      }
    },
    stop: (signal = 'SIGTERM') => stopProcess(child, signal),
  };
}

/** What a service run to its end printed, and how it ended. */
export interface ServiceRun extends ProcessExit {
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a built service to its end (e.g. a start-up that must fail) and collects its output. */
export function runService(options: BuiltAppOptions): Promise<ServiceRun> {
  const child = spawnBuiltApp(options);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += String(chunk)));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += String(chunk)));
  // 'close' comes after 'exit' once both pipes are drained, so the output is complete.
  return new Promise((resolve) =>
    child.once('close', (code: number | null, signal: NodeJS.Signals | null) =>
      resolve({ code, signal, stdout, stderr }),
    ),
  );
}
