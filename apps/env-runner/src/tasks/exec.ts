import { spawn } from 'node:child_process';
import { ExecPolicy, type ExecRule } from './exec-policy';
import { isPlainObject, TaskFailure, type TaskHandler } from './handler';

export interface ExecOptions {
  /**
   * RUNNER_EXEC_ALLOW: the commands that may run, exactly as tasks name them (a bare name is looked up on
   * PATH), each with the arguments it accepts. Empty: exec is off.
   */
  readonly allow: readonly ExecRule[];
  /** Bytes kept of stdout and of stderr each; the rest is dropped and flagged. */
  readonly outputLimitBytes: number;
  /** The child's whole environment: only what is listed here, never the runner's secrets. */
  readonly env: Readonly<Record<string, string>>;
}

/** Environment variables a command may inherit from the runner; everything else is withheld. */
export const EXEC_ENV_PASSTHROUGH = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR'] as const;

interface ExecPayload {
  command: string;
  args: string[];
}

/**
 * `exec {command, args, timeoutMs}`: runs a command whose arguments an allow-list entry accepts, without a
 * shell (each arg is passed literally), in its own process group, killed as a group when the task's timeout
 * passes. Output: `{exitCode, signal, stdout, stderr, stdoutTruncated, stderrTruncated}`; a non-zero exit
 * fails the task. Not a sandbox: an allowed command runs with the runner's user, files and network.
 */
export function createExecHandler(options: ExecOptions): TaskHandler {
  const policy = new ExecPolicy(options.allow);
  return {
    kind: 'exec',
    validate(payload) {
      if (!isPlainObject(payload)) return ['payload must be an object {command, args, timeoutMs}'];
      const problems: string[] = [];
      const command = payload['command'];
      const args = payload['args'];
      const argsOk = args === undefined || (Array.isArray(args) && args.every((a) => typeof a === 'string'));
      if (!argsOk) problems.push('payload.args must be an array of strings');
      if (typeof command !== 'string' || command === '') problems.push('payload.command must be a non-empty string');
      else if (argsOk) problems.push(...policy.check(command, (args as string[] | undefined) ?? []));
      const timeoutMs = payload['timeoutMs'];
      if (timeoutMs !== undefined && (!Number.isInteger(timeoutMs) || (timeoutMs as number) < 1))
        problems.push('payload.timeoutMs must be a positive integer');
      return problems;
    },
    run(payload, { signal }) {
      const { command, args = [] } = payload as ExecPayload;
      return new Promise((resolve, reject) => {
        const child = spawn(command, args, {
          shell: false,
          detached: true,
          env: { ...options.env },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        const out = capture(options.outputLimitBytes);
        const err = capture(options.outputLimitBytes);
        child.stdout.on('data', out.push);
        child.stderr.on('data', err.push);
        const killGroup = (): void => {
          try {
            if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
          } catch {
            // already gone
          }
        };
        const onAbort = (): void => killGroup();
        signal.addEventListener('abort', onAbort, { once: true });
        child.once('error', (e) => {
          signal.removeEventListener('abort', onAbort);
          reject(new TaskFailure(`cannot run ${command}: ${(e as NodeJS.ErrnoException).code ?? e.message}`));
        });
        child.once('close', (exitCode, sig) => {
          signal.removeEventListener('abort', onAbort);
          // Descendants that outlived the leader are still in the group.
          killGroup();
          const output = {
            exitCode,
            signal: sig,
            stdout: out.text(),
            stderr: err.text(),
            stdoutTruncated: out.truncated(),
            stderrTruncated: err.truncated(),
          };
          if (signal.aborted) return reject(signal.reason);
          if (exitCode === 0) return resolve(output);
          reject(
            new TaskFailure(
              exitCode === null ? `${command} was killed by ${sig}` : `${command} exited with code ${exitCode}`,
              output,
            ),
          );
        });
      });
    },
  };
}

/** Keeps the first `limit` bytes of a stream. */
function capture(limit: number): { push: (chunk: Buffer) => void; text: () => string; truncated: () => boolean } {
  const chunks: Buffer[] = [];
  let kept = 0;
  let dropped = false;
  return {
    push: (chunk) => {
      const room = limit - kept;
      if (room <= 0) {
        dropped = true;
        return;
      }
      if (chunk.length > room) dropped = true;
      const part = chunk.subarray(0, room);
      chunks.push(part);
      kept += part.length;
    },
    text: () => Buffer.concat(chunks).toString('utf8'),
    truncated: () => dropped,
  };
}
