import { backoffDelay, encodeEntry, sleep, type Ack, type Redis } from '@mesh/mesh-protocol';

export interface PendingAck {
  /** The assignment entry to XACK once the ack is written. */
  readonly entryId: string;
  readonly ack: Ack;
}

export interface AckWriterOptions {
  readonly redis: Redis;
  readonly acksStream: string;
  readonly assignmentsStream: string;
  readonly group: string;
  readonly onError: (err: Error) => void;
}

/**
 * Writes acks to `mesh:acks` and only then XACKs their assignments, in batches: everything that
 * finished while one batch was in flight goes in the next. If Redis is unreachable the acks wait
 * and are retried with backoff; none is dropped.
 */
export class AckWriter {
  private queue: PendingAck[] = [];
  private flushing: Promise<void> | undefined;
  private failures = 0;
  private readonly stopping = new AbortController();

  constructor(private readonly o: AckWriterOptions) {}

  get pending(): number {
    return this.queue.length;
  }

  push(item: PendingAck): void {
    this.queue.push(item);
    this.flushing ??= this.drain().finally(() => (this.flushing = undefined));
  }

  /** Resolves once every queued ack is written, or when `signal` aborts (leaving the rest unacked for reclaim). */
  async flush(signal?: AbortSignal): Promise<void> {
    signal?.addEventListener('abort', () => this.stopping.abort(), { once: true });
    while (this.flushing && !this.stopping.signal.aborted)
      await Promise.race([this.flushing, sleep(50, this.stopping.signal)]);
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0 && !this.stopping.signal.aborted) {
      const batch = this.queue;
      this.queue = [];
      const failed = await this.write(batch);
      if (failed.length > 0) {
        this.queue = failed.concat(this.queue);
        await sleep(Math.max(50, backoffDelay(this.failures++, 100, 5000)), this.stopping.signal);
      } else {
        this.failures = 0;
      }
    }
  }

  /** Returns the items that must be retried. */
  private async write(batch: PendingAck[]): Promise<PendingAck[]> {
    const written: PendingAck[] = [];
    const retry: PendingAck[] = [];
    try {
      const pipeline = this.o.redis.pipeline();
      for (const item of batch) pipeline.xadd(this.o.acksStream, '*', ...encodeEntry('ack', item.ack));
      const results = (await pipeline.exec()) ?? [];
      batch.forEach((item, i) => (results[i] && !results[i][0] ? written : retry).push(item));
      const firstError = results.find(([err]) => err)?.[0];
      if (firstError) this.o.onError(firstError);
    } catch (err) {
      this.o.onError(err as Error);
      return batch;
    }
    if (written.length === 0) return retry;
    try {
      const pipeline = this.o.redis.pipeline();
      for (let i = 0; i < written.length; i += 1000)
        pipeline.xack(this.o.assignmentsStream, this.o.group, ...written.slice(i, i + 1000).map((w) => w.entryId));
      for (const [err] of (await pipeline.exec()) ?? []) if (err) throw err;
    } catch (err) {
      // The acks are written; the assignments stay pending and a re-delivery produces a duplicate
      // ack, which the supervisor ignores.
      this.o.onError(err as Error);
    }
    return retry;
  }
}
