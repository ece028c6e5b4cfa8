import type { MeshClient } from '@mesh/client';
import type { CliConfig } from './config';

/** Where the CLI writes, what it reads, and its clock: process's in main.ts, anything in tests. */
export interface CliIo {
  readonly stdout: { write(text: string): unknown; readonly isTTY?: boolean };
  readonly stderr: { write(text: string): unknown };
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly now: () => number;
  /** Aborts on Ctrl-C: watching and tailing stop, the run goes on. */
  readonly signal: AbortSignal;
}

/** What every command gets. */
export interface CommandContext {
  readonly io: CliIo;
  readonly config: CliConfig;
  readonly client: MeshClient;
  /** --json: machine-readable output only. */
  readonly json: boolean;
}

/** Writes `value` as one JSON document on stdout. */
export function printJson(io: CliIo, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
