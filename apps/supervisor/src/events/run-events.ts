import { RUN_EVENTS_MAX_LEN, StreamPublisher, type Redis, type RunEvent, type RunEventType } from '@mesh/mesh-protocol';

type Change = Omit<RunEvent, 'runId' | 'workflow' | 'events'>;

/**
 * The changes of one batch of work, grouped by run and published as at most one entry per run on
 * mesh:run-events: a single change as itself, several as one `batch` event that lists them in order.
 */
export class EventBatch {
  private readonly byRun = new Map<string, { workflow: string; changes: Change[] }>();

  constructor(private readonly now: () => number) {}

  get size(): number {
    return this.byRun.size;
  }

  add(runId: string, workflow: string, type: RunEventType, extra: Omit<Change, 'type' | 'at'> = {}): void {
    let run = this.byRun.get(runId);
    if (!run) {
      run = { workflow, changes: [] };
      this.byRun.set(runId, run);
    }
    run.changes.push({ type, at: this.now(), ...extra });
  }

  /** The entries to publish: one per run. */
  events(): RunEvent[] {
    const out: RunEvent[] = [];
    for (const [runId, { workflow, changes }] of this.byRun) {
      const [only] = changes;
      if (changes.length === 1 && only) out.push({ runId, workflow, ...only });
      else out.push({ runId, workflow, type: 'batch', at: this.now(), events: changes });
    }
    return out;
  }
}

/** Publishes run events (supervisor → anyone reading mesh:run-events), pipelined, the stream capped at `maxLen`. */
export class RunEvents {
  private readonly publisher: StreamPublisher;

  constructor(
    redis: Redis,
    private readonly stream: string,
    private readonly now: () => number,
  ) {
    this.publisher = new StreamPublisher(redis);
  }

  batch(): EventBatch {
    return new EventBatch(this.now);
  }

  async publish(batch: EventBatch): Promise<void> {
    if (batch.size > 0)
      await this.publisher.publish(this.stream, 'event', batch.events(), { maxLen: RUN_EVENTS_MAX_LEN });
  }
}
