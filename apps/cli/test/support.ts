import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WORKSPACE_ROOT } from '@mesh/testing';

export const CLI = join(WORKSPACE_ROOT, 'dist', 'apps', 'cli', 'main.js');

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built CLI as a process (its output is a pipe, not a terminal) with exactly `env` and PATH. */
export function runMesh(args: readonly string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { PATH: process.env['PATH'] ?? '', ...env }, cwd: WORKSPACE_ROOT, timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Starts the built CLI as a process and returns at once: its output so far, and its result once it exits. */
export function startMesh(
  args: readonly string[],
  env: Record<string, string>,
): { stdout(): string; readonly result: Promise<CliResult> } {
  const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env['PATH'] ?? '', ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const result = new Promise<CliResult>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return { stdout: () => stdout, result };
}

/** A temporary folder for workflow files, removed by `remove`. */
export function workflowFiles(): { write(name: string, body: unknown): string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'mesh-cli-'));
  return {
    write(name, body) {
      const path = join(dir, name);
      writeFileSync(path, typeof body === 'string' ? body : JSON.stringify(body));
      return path;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
