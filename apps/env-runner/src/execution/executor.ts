import { MAX_ACK_ERROR_LENGTH, type Ack, type Assignment } from '@mesh/mesh-protocol';
import { TaskFailure } from '../tasks/handler';
import type { HandlerRegistry } from '../tasks/registry';

/** Why an assignment failed, as the env_runner_assignments_failed_total reason label. */
export type FailureReason = 'error' | 'timeout' | 'invalid_payload' | 'unknown_kind' | 'delivery_limit' | 'cancelled';

export interface Outcome {
  readonly ack: Ack;
  readonly reason?: FailureReason;
}

export interface ExecutorOptions {
  readonly runnerId: string;
  readonly handlers: HandlerRegistry;
  /** Largest JSON output an ack carries, in bytes; larger outputs are replaced by a truncated preview. */
  readonly outputLimitBytes: number;
  readonly now?: () => number;
}

class TimeoutError extends Error {}

/** The abort reason when an attempt's run was cancelled: the attempt is acked `cancelled`. */
export class CancelledError extends Error {
  constructor(message = 'cancelled: its run was cancelled') {
    super(message);
    this.name = 'CancelledError';
  }
}

/**
 * Runs one assignment to an ack. Never rejects: unknown kinds, invalid payloads, handler failures
 * and timeouts all become failed acks with a clear error. `abort` (e.g. shutdown past its grace)
 * stops the task; the caller then does not ack it.
 */
export class Executor {
  private readonly now: () => number;

  constructor(private readonly o: ExecutorOptions) {
    this.now = o.now ?? Date.now;
  }

  async execute(a: Assignment, abort?: AbortSignal): Promise<Outcome> {
    const startedAt = this.now();
    if (abort?.aborted && abort.reason instanceof CancelledError)
      return this.cancelledBeforeStart(a, startedAt, abort.reason);
    const t0 = performance.now();
    const done = (success: boolean, extra: { error?: string; output?: unknown; reason?: FailureReason }): Outcome => {
      const ack = this.ackOf(a, success, {
        latencyMs: Math.round((performance.now() - t0) * 1000) / 1000,
        startedAt,
        finishedAt: this.now(),
        ...(extra.error !== undefined ? { error: extra.error } : {}),
        ...(extra.output !== undefined ? { output: this.bound(extra.output) } : {}),
        ...(extra.reason === 'cancelled' ? { cancelled: true } : {}),
      });
      return extra.reason ? { ack, reason: extra.reason } : { ack };
    };

    const handler = this.o.handlers.get(a.kind);
    if (!handler)
      return done(false, {
        error: `unknown task kind ${JSON.stringify(a.kind)} (this runner has: ${this.o.handlers.kinds().join(', ')})`,
        reason: 'unknown_kind',
      });
    let problems: readonly string[];
    try {
      problems = handler.validate?.(a.payload) ?? [];
    } catch (err) {
      // A loaded handler's validate() that throws on some payload fails that task, not the runner.
      problems = [`validate() threw: ${err instanceof Error ? err.message : String(err)}`];
    }
    if (problems.length > 0)
      return done(false, { error: `invalid payload for ${a.kind}: ${problems.join('; ')}`, reason: 'invalid_payload' });

    const timeoutMs = effectiveTimeout(a);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new TimeoutError(`timed out after ${timeoutMs} ms`)), timeoutMs);
    const onAbort = (): void => controller.abort(abort?.reason ?? new Error('aborted'));
    abort?.addEventListener('abort', onAbort, { once: true });
    try {
      const output = await raceAbort(
        handler.run(a.payload, { signal: controller.signal, assignment: a, timeoutMs }),
        controller.signal,
      );
      return done(true, { output });
    } catch (err) {
      if (err instanceof TimeoutError) return done(false, { error: err.message, reason: 'timeout' });
      if (err instanceof CancelledError) return done(false, { error: err.message, reason: 'cancelled' });
      if (err instanceof TaskFailure) return done(false, { error: err.message, output: err.output, reason: 'error' });
      return done(false, { error: err instanceof Error ? err.message : String(err), reason: 'error' });
    } finally {
      clearTimeout(timer);
      abort?.removeEventListener('abort', onAbort);
    }
  }

  /** The ack of an attempt never started because its run was cancelled. */
  cancelledBeforeStart(a: Assignment, at: number, reason = new CancelledError()): Outcome {
    const ack = this.ackOf(a, false, {
      latencyMs: 0,
      startedAt: at,
      finishedAt: at,
      error: reason.message,
      cancelled: true,
    });
    return { ack, reason: 'cancelled' };
  }

  /** An ack of `a` by this runner; its error is cut to what an ack carries. */
  private ackOf(
    a: Assignment,
    success: boolean,
    outcome: Pick<Ack, 'latencyMs' | 'startedAt' | 'finishedAt' | 'error' | 'output' | 'cancelled'>,
  ): Ack {
    return {
      assignmentId: a.assignmentId,
      runId: a.runId,
      workflow: a.workflow,
      taskId: a.taskId,
      attempt: a.attempt,
      runnerId: this.o.runnerId,
      success,
      ...outcome,
      ...(outcome.error !== undefined ? { error: outcome.error.slice(0, MAX_ACK_ERROR_LENGTH) } : {}),
    };
  }

  private bound(output: unknown): unknown {
    let json: string | undefined;
    try {
      json = JSON.stringify(output);
    } catch {
      return { unserializable: true };
    }
    if (json === undefined) return null;
    if (Buffer.byteLength(json) <= this.o.outputLimitBytes) return output;
    return {
      truncated: true,
      bytes: Buffer.byteLength(json),
      preview: json.slice(0, Math.min(1024, this.o.outputLimitBytes)),
    };
  }
}

/** The assignment's timeout, or the exec payload's own when that is shorter. */
function effectiveTimeout(a: Assignment): number {
  const own = (a.payload as { timeoutMs?: unknown } | null)?.timeoutMs;
  return a.kind === 'exec' && Number.isInteger(own) && (own as number) > 0
    ? Math.min(own as number, a.timeoutMs)
    : a.timeoutMs;
}

/** Settles with the signal's reason as soon as it aborts, even if the handler ignores it. */
function raceAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
