import {
  backoffDelay,
  encodeEntry,
  MAX_REPORT_ITEMS,
  sleep,
  spreadPipeline,
  type Ack,
  type Redis,
  type StartedTask,
} from '@mesh/mesh-protocol';

export interface PendingAck {
  /** The assignment entry to XACK once the ack is written. */
  readonly entryId: string;
  readonly ack: Ack;
}

/**
 * How long a task runs before its pickup is reported. A task that finishes sooner is reported once, by its
 * ack (which carries its start time): fast tasks cost one report instead of two, and their acks are not
 * queued behind pickups.
 */
export const PICKUP_REPORT_DELAY_MS = 25;

export interface ReportWriterOptions {
  readonly redis: Redis;
  readonly runnerId: string;
  /** The acks stream of a run's partition (mesh:acks with one partition). */
  readonly acksStreamOf: (runId: string) => string;
  readonly assignmentsStream: string;
  readonly group: string;
  readonly onError: (err: Error) => void;
  readonly now?: () => number;
}

/**
 * Tells the supervisor what this runner started and finished, in batches: everything that happened while
 * one report was being written goes in the next, as one `report` entry on mesh:acks (split past
 * MAX_REPORT_ITEMS). The acked assignments are XACKed only once their report is written. If Redis is
 * unreachable, reports wait and are retried with backoff; no ack is dropped (a start that could not be
 * reported is dropped once its ack is due: the ack says all).
 */
export class ReportWriter {
  private acks: PendingAck[] = [];
  private starts: StartedTask[] = [];
  /** Pickups not reported yet, by assignment id: reported after PICKUP_REPORT_DELAY_MS unless acked first. */
  private readonly delayed = new Map<string, StartedTask>();
  private delayTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private failures = 0;
  private readonly stopping = new AbortController();

  constructor(private readonly o: ReportWriterOptions) {}

  /** Acks not yet written. */
  get pending(): number {
    return this.acks.length;
  }

  push(item: PendingAck): void {
    this.delayed.delete(item.ack.assignmentId);
    this.acks.push(item);
    this.kick();
  }

  started(task: StartedTask): void {
    this.delayed.set(task.assignmentId, task);
    this.delayTimer ??= setTimeout(() => {
      this.delayTimer = undefined;
      // Everything still running now has run at least about the delay: report it (one timer per batch).
      this.starts.push(...this.delayed.values());
      this.delayed.clear();
      this.kick();
    }, PICKUP_REPORT_DELAY_MS).unref();
  }

  /** Forgets pickups not reported yet (at shutdown, once no task runs: they no longer matter). */
  dropPickups(): void {
    clearTimeout(this.delayTimer);
    this.delayTimer = undefined;
    this.delayed.clear();
  }

  /** Resolves once every queued report is written, or when `signal` aborts (leaving the rest unacked for reclaim). */
  async flush(signal?: AbortSignal): Promise<void> {
    signal?.addEventListener('abort', () => this.stopping.abort(), { once: true });
    while (this.flushing && !this.stopping.signal.aborted)
      await Promise.race([this.flushing, sleep(50, this.stopping.signal)]);
  }

  private kick(): void {
    // drain() never rejects: every failure is reported to onError and retried.
    this.flushing ??= this.drain().finally(() => (this.flushing = undefined));
  }

  private async drain(): Promise<void> {
    while ((this.acks.length > 0 || this.starts.length > 0) && !this.stopping.signal.aborted) {
      const acks = this.acks;
      const done = new Set(acks.map((a) => a.ack.assignmentId));
      // A start whose ack is in the same report adds nothing the ack does not say.
      const starts = this.starts.filter((s) => !done.has(s.assignmentId));
      this.acks = [];
      this.starts = [];
      const failed = await this.write(acks, starts);
      if (failed) {
        this.acks = acks.concat(this.acks);
        this.starts = starts.concat(this.starts);
        await sleep(Math.max(50, backoffDelay(this.failures++, 100, 5000)), this.stopping.signal);
      } else {
        this.failures = 0;
      }
    }
  }

  /** Writes the reports, then XACKs the acked entries; true when the reports must be retried. */
  private async write(acks: PendingAck[], starts: StartedTask[]): Promise<boolean> {
    const at = (this.o.now ?? Date.now)();
    try {
      // One report per partition: each run's acks go to its partition's stream (one with a single partition).
      const pipeline = spreadPipeline(this.o.redis);
      const byStream = new Map<string, { acks: Ack[]; starts: StartedTask[] }>();
      const of = (runId: string) => {
        const stream = this.o.acksStreamOf(runId);
        let group = byStream.get(stream);
        if (!group) byStream.set(stream, (group = { acks: [], starts: [] }));
        return group;
      };
      for (const a of acks) of(a.ack.runId).acks.push(a.ack);
      for (const s of starts) of(s.runId).starts.push(s);
      for (const [stream, group] of byStream) {
        const n = Math.max(group.acks.length, group.starts.length);
        for (let i = 0; i < n; i += MAX_REPORT_ITEMS) {
          const report = {
            runnerId: this.o.runnerId,
            at,
            started: group.starts.slice(i, i + MAX_REPORT_ITEMS),
            acks: group.acks.slice(i, i + MAX_REPORT_ITEMS),
          };
          pipeline.xadd(stream, '*', ...encodeEntry('report', report));
        }
      }
      const results = (await pipeline.exec()) ?? [];
      const err = results.find(([e]) => e)?.[0];
      if (err) throw err;
    } catch (err) {
      this.o.onError(err as Error);
      return true;
    }
    if (acks.length === 0) return false;
    try {
      const pipeline = this.o.redis.pipeline();
      for (let i = 0; i < acks.length; i += 1000)
        pipeline.xack(this.o.assignmentsStream, this.o.group, ...acks.slice(i, i + 1000).map((a) => a.entryId));
      for (const [err] of (await pipeline.exec()) ?? []) if (err) throw err;
    } catch (err) {
      // The acks are written; the assignments stay pending and a re-delivery produces a duplicate
      // ack, which the supervisor ignores.
      this.o.onError(err as Error);
    }
    return false;
  }
}
