import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

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
  const script = join(WORKSPACE_ROOT, 'dist', 'apps', app, 'main.js');
  if (!existsSync(script)) throw new Error(`${script} is missing: run "npx nx build ${app}" first`);
  const child = spawn(process.execPath, [script, ...(options.argv ?? [])], {
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const records: Array<Record<string, unknown>> = [];
  let stderr = '';
  let buffered = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.stderr?.on('data', (chunk) => (stderr += String(chunk)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Leave nothing running behind a failed start.
      child.kill('SIGKILL');
      reject(new Error(`${app} did not log "listening" within ${options.timeoutMs ?? 10000} ms; stderr: ${stderr}`));
    }, options.timeoutMs ?? 10000);
    child.stdout?.on('data', (chunk) => {
      buffered += String(chunk);
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        try {
          const record = JSON.parse(line) as Record<string, unknown>;
          records.push(record);
          if (record['msg'] === 'listening') {
            clearTimeout(timer);
            resolve(Number(record['port']));
          }
        } catch {
          // not a log record
        }
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${app} exited with ${code} before listening; stderr: ${stderr}`));
    });
  });
  return {
    child,
    port,
    records,
    stderr: () => stderr,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Runs a built service to completion (for start-up failures); resolves with its exit code and output. */
export function runServiceToExit(
  app: string,
  env: Record<string, string>,
  argv: string[] = [],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const script = join(WORKSPACE_ROOT, 'dist', 'apps', app, 'main.js');
  const child = spawn(process.execPath, [script, ...argv], {
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += String(c)));
  child.stderr.on('data', (c) => (stderr += String(c)));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}
