import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { runService, spawnService } from '@mesh/process-kit';
import { TEST_DEADLINE_MS } from './redis-context';

/** The workspace root (where dist/ is built). */
export const WORKSPACE_ROOT = join(__dirname, '..', '..', '..');

export interface ServiceProcess {
  readonly child: ChildProcess;
  /** The port from the service's `listening` log record. */
  readonly port: number;
  /** Every JSON log record so far. */
  readonly records: Array<Record<string, unknown>>;
  stderr(): string;
  /** Sends `signal` and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts a built service (`dist/apps/<app>/main.js`) as a real process and waits for its
 * `listening` record. Env is exactly what is given plus PATH, so nothing leaks in from the caller.
 */
export async function startServiceProcess(
  app: string,
  env: Record<string, string>,
  options: { argv?: string[]; timeoutMs?: number } = {},
): Promise<ServiceProcess> {
  const records: Array<Record<string, unknown>> = [];
  const service = spawnService({
    root: WORKSPACE_ROOT,
    app,
    env: { PATH: process.env['PATH'] ?? '', ...env },
    argv: options.argv ?? [],
    onRecord: (record) => records.push(record),
  });
  const port = await service.listening(options.timeoutMs ?? TEST_DEADLINE_MS);
  return {
    child: service.child,
    port,
    records,
    stderr: () => service.stderr(),
    stop: async (signal = 'SIGTERM') => (await service.stop(signal)).code,
  };
}

/** Runs a built service to completion (for start-up failures); resolves with its exit code and output. */
export async function runServiceToExit(
  app: string,
  env: Record<string, string>,
  argv: string[] = [],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const { code, stdout, stderr } = await runService({
    root: WORKSPACE_ROOT,
    app,
    env: { PATH: process.env['PATH'] ?? '', ...env },
    argv,
  });
  return { code, stdout, stderr };
}
