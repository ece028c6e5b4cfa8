import { MeshApiError, MeshNetworkError } from '@mesh/client';

/** A mistake in how the command was called (arguments, the workflow file): exit code 2. */
export class UsageError extends Error {
  readonly code = 'MESH_USAGE';
}

/** How `mesh` exits; docs/cli.md lists them. */
export const EXIT = {
  ok: 0,
  /** The API refused or failed, or could not be reached. */
  error: 1,
  /** Bad arguments or an unreadable workflow file. */
  usage: 2,
  /** The run watched or tailed ended failed. */
  runFailed: 3,
  /** The run watched or tailed ended cancelled. */
  runCancelled: 4,
  /** Interrupted (Ctrl-C) while watching; the run goes on. */
  interrupted: 130,
} as const;

/** What an error says to people: one line, its code at the end, never a stack. */
export function errorLine(err: unknown): string {
  if (err instanceof MeshApiError) {
    const details = err.details.length > 0 ? `: ${err.details.join('; ')}` : '';
    const hint = err.status === 401 ? ' (check MESH_TOKEN or --token)' : '';
    return `${err.message}${details}${hint} (${err.code})`;
  }
  if (err instanceof MeshNetworkError || err instanceof UsageError) return `${err.message} (${err.code})`;
  return `unexpected error: ${err instanceof Error ? err.message : String(err)}`;
}

/** The exit code of an error. */
export function exitCodeOf(err: unknown): number {
  return err instanceof UsageError ? EXIT.usage : EXIT.error;
}

/** The error as --json prints it on stdout. */
export function errorJson(err: unknown): { error: Record<string, unknown> } {
  if (err instanceof MeshApiError)
    return {
      error: {
        status: err.status,
        code: err.code,
        message: err.message,
        ...(err.details.length > 0 ? { details: err.details } : {}),
      },
    };
  if (err instanceof MeshNetworkError || err instanceof UsageError)
    return { error: { code: err.code, message: err.message } };
  return { error: { code: 'MESH_CLI_INTERNAL', message: err instanceof Error ? err.message : String(err) } };
}
