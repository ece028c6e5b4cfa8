import {
  RUN_EVENTS_MAX_LEN,
  StreamPublisher,
  type MeshKeys,
  type Redis,
  type RunEvent,
  type RunEventType,
} from '@mesh/mesh-protocol';

type Change = Omit<RunEvent, 'runId' | 'workflow' | 'events'>;

const RUN_LEVEL: ReadonlySet<RunEventType> = new Set(['run-started', 'run-succeeded', 'run-failed']);

/**
 * The changes of one batch of work, grouped by run and published as at most one entry per run on
 * mesh:run-events: a single change as itself, several as one entry whose `events` list them in order.
 * That entry's own type is the last run-level change it holds (run-started, run-succeeded, run-failed),
 * so a reader that knows only the v1 types still sees every run start and end; otherwise it is `batch`.
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
      if (changes.length === 1 && only) {
        out.push({ runId, workflow, ...only });
        continue;
      }
      const runLevel = changes.filter((c) => RUN_LEVEL.has(c.type)).at(-1);
      out.push({ runId, workflow, ...(runLevel ?? { type: 'batch', at: this.now() }), events: changes });
    }
    return out;
  }
}

/**
 * Publishes run events (supervisor → anyone reading mesh:run-events), pipelined, each stream capped at
 * RUN_EVENTS_MAX_LEN. A run's events go to its partition's feed, so one run's changes stay in order.
 */
export class RunEvents {
  private readonly publisher: StreamPublisher;

  constructor(
    redis: Redis,
    private readonly keys: MeshKeys,
    private readonly now: () => number,
  ) {
    this.publisher = new StreamPublisher(redis);
  }

  batch(): EventBatch {
    return new EventBatch(this.now);
  }

  async publish(batch: EventBatch): Promise<void> {
    if (batch.size === 0) return;
    const byStream = new Map<string, RunEvent[]>();
    for (const event of batch.events()) {
      const stream = this.keys.ofRun(event.runId).runEvents;
      const list = byStream.get(stream);
      if (list) list.push(event);
      else byStream.set(stream, [event]);
    }
    await Promise.all(
      [...byStream].map(([stream, events]) =>
        this.publisher.publish(stream, 'event', events, { maxLen: RUN_EVENTS_MAX_LEN }),
      ),
    );
  }
}
