import { MeshError, NotFoundError } from '@mesh/errors';
import {
  encodeEntry,
  spreadPipeline,
  RUN_EVENTS_MAX_LEN,
  type MeshKeys,
  type Redis,
  type RunEvent,
} from '@mesh/mesh-protocol';
import type { RunState, RunSummary } from '@mesh/run-state';

/** The run has already ended: there is nothing left to cancel. */
export class RunFinishedError extends MeshError {
  constructor(runId: string, status: string) {
    super('MESH_RUN_FINISHED', `run ${JSON.stringify(runId)} already ended ${status}; there is nothing to cancel`, {
      status: 409,
    });
  }
}

export interface RunControlOptions {
  readonly redis: Redis;
  /** Counts each run cancelled. */
  readonly onCancelled?: () => void;
  /** Told when the run-cancelled event or the runners' message could not be written (the cancel stands). */
  readonly onPublishFailed?: (err: Error, runId: string) => void;
  readonly keys: MeshKeys;
  readonly state: RunState;
  readonly now?: () => number;
}

/**
 * Cancels runs. The run's state ends `cancelled` in one script call (cancel.lua); then its change goes on the
 * public feed (`run-cancelled` on mesh:run-events) and its id on the cancels channel, where runners abort the
 * attempts of it they are running. A runner that misses the message (disconnected at that moment) still finds
 * the run cancelled when it next renews its leases, and never starts an assignment of a cancelled run.
 */
export class RunControl {
  constructor(private readonly o: RunControlOptions) {}

  /** Cancels a run of `workflow` visible to `tenant` (undefined: any tenant); its summary after the cancel. */
  async cancel(workflow: string, runId: string, tenant: string | undefined): Promise<RunSummary> {
    const notFound = () => new NotFoundError(`no run ${JSON.stringify(runId)} of workflow ${JSON.stringify(workflow)}`);
    const before = await this.o.state.summary(runId);
    if (!before || before.workflow !== workflow || (tenant !== undefined && before.tenant !== tenant)) throw notFound();
    const reason = tenant === undefined ? 'cancelled' : `cancelled by tenant ${tenant}`;
    const result = await this.o.state.cancel(runId, reason);
    if (result.outcome === 'missing') throw notFound();
    if (result.outcome === 'finished') throw new RunFinishedError(runId, result.runStatus);
    this.o.onCancelled?.();
    const event: RunEvent = {
      runId,
      workflow,
      type: 'run-cancelled',
      at: (this.o.now ?? Date.now)(),
      error: reason,
    };
    // The feed and the runners' channel: both best effort after the state changed (a runner also finds the
    // cancel on its next lease renewal; a feed reader re-reads the record).
    const pipeline = spreadPipeline(this.o.redis);
    pipeline.xadd(
      this.o.keys.ofRun(runId).runEvents,
      'MAXLEN',
      '~',
      RUN_EVENTS_MAX_LEN,
      '*',
      ...encodeEntry('event', event),
    );
    pipeline.publish(this.o.keys.cancels, runId);
    try {
      for (const [err] of (await pipeline.exec()) ?? []) if (err) throw err;
    } catch (err) {
      // Runners still find the cancel on their next lease renewal, event streams on their next heartbeat.
      this.o.onPublishFailed?.(err instanceof Error ? err : new Error(String(err)), runId);
    }
    return (await this.o.state.summary(runId)) ?? { ...before, status: 'cancelled' };
  }
}
