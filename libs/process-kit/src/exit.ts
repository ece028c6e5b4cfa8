import type { ChildProcess } from 'node:child_process';

/** How a child process ended. */
export interface ProcessExit {
  /** The exit code; null when a signal ended it or it never started. */
  readonly code: number | null;
  /** The signal that ended it, if one did. */
  readonly signal: NodeJS.Signals | null;
  /** Why it could not be started (e.g. ENOENT), if it could not. */
  readonly error?: Error;
}

function hasEnded(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/**
 * Resolves once `child` has exited, at once when it already has. A process that could not be started
 * counts as ended, with `error` set. Never rejects.
 */
export function exitOf(child: ChildProcess): Promise<ProcessExit> {
  if (hasEnded(child)) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => {
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      child.off('error', onError);
      resolve({ code, signal });
    };
    // 'error' also reports a failed kill() of a running process; only a spawn failure (no pid) ends it.
    const onError = (error: Error): void => {
      if (child.pid !== undefined) return;
      child.off('exit', onExit);
      child.off('error', onError);
      resolve({ code: null, signal: null, error });
    };
    child.once('exit', onExit);
    child.on('error', onError);
  });
}

/** Sends `signal` (default SIGTERM) unless `child` has already ended, and resolves once it has exited. */
export function stopProcess(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<ProcessExit> {
  const exited = exitOf(child);
  if (!hasEnded(child)) child.kill(signal);
  return exited;
}
