import type { Assignment } from '@mesh/mesh-protocol';

/** What a handler gets besides the payload. */
export interface TaskContext {
  /** Aborted when the assignment's timeoutMs passes or the runner gives the task up; stop promptly. */
  readonly signal: AbortSignal;
  readonly assignment: Assignment;
  readonly timeoutMs: number;
}

/**
 * A kind of task the runner can execute. This is also the interface of RUNNER_HANDLERS_MODULE:
 * a CommonJS module exporting `handlers`, an array of objects with
 *   - `kind`: the task kind (a Mesh name),
 *   - `validate(payload)` (optional): returns a list of problems, empty or undefined when valid,
 *   - `run(payload, context)`: resolves to the task's output (any JSON) or rejects to fail the task.
 * A handler must honour `context.signal`.
 */
export interface TaskHandler {
  readonly kind: string;
  validate?(payload: unknown): readonly string[] | undefined;
  run(payload: unknown, context: TaskContext): Promise<unknown>;
}

/** A task failed in a way its handler chose; the message becomes the ack's error. */
export class TaskFailure extends Error {
  constructor(
    message: string,
    /** Output worth keeping despite the failure (e.g. a command's stderr). */
    readonly output?: unknown,
  ) {
    super(message);
    this.name = 'TaskFailure';
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
