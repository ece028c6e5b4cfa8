import type { SupervisorMetrics } from '@mesh/metrics-schema';
import { backoffDelay, encodeEntry, type Assignment, type Redis } from '@mesh/mesh-protocol';

export interface PublishItem {
  readonly stream: string;
  readonly assignment: Assignment;
  /** Whether a tenant override or the default domain chose the target (for routing metrics). */
  readonly route: 'override' | 'default';
  /** Publish attempts made so far. */
  tries: number;
}

export interface PublishPoolOptions {
  readonly redis: Redis;
  readonly metrics: Pick<SupervisorMetrics, 'meshDispatch' | 'meshQueueDepth'>;
  /** Batches in flight at once. */
  readonly concurrency: number;
  /** XADDs per pipelined batch. */
  readonly batchSize: number;
  /** Attempts before giving up on one publish. */
  readonly maxAttempts: number;
  readonly retryBaseMs: number;
  readonly retryCapMs: number;
  readonly onPublished: (items: PublishItem[]) => void;
  readonly onGaveUp: (item: PublishItem, err: Error) => void;
  readonly random?: () => number;
}

/**
 * The asynchronous publish pool: assignments queue here and go out as pipelined XADD batches, at
 * most `concurrency` batches at a time. Every attempt ends in one `supervisor_mesh_dispatch_total`
 * status: success, retry (failed, re-queued after exponential backoff with jitter) or failure
 * (gave up after `maxAttempts`).
 */
export class PublishPool {
  private queue: PublishItem[] = [];
  private inFlight = 0;
  private batches = 0;
  private waiting = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly o: PublishPoolOptions) {}

  /** Queued, waiting to retry, or in flight. */
  get depth(): number {
    return this.queue.length + this.inFlight + this.waiting;
  }

  submit(items: readonly PublishItem[]): void {
    this.queue.push(...items);
    this.report();
    this.pump();
  }

  /** Resolves once nothing is queued, retrying or in flight. */
  idle(): Promise<void> {
    if (this.depth === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Drops retries still waiting (shutdown): their schedule leases run out and another supervisor publishes them. */
  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.waiting = 0;
    this.queue = [];
    this.report();
  }

  private pump(): void {
    while (this.queue.length > 0 && this.batches < this.o.concurrency) {
      const batch = this.queue.splice(0, this.o.batchSize);
      this.batches++;
      this.inFlight += batch.length;
      // send() does not reject: a failed pipeline becomes per-item retries, and the callbacks catch their own.
      void this.send(batch).finally(() => {
        this.batches--;
        this.inFlight -= batch.length;
        this.report();
        this.pump();
      });
    }
  }

  private async send(batch: PublishItem[]): Promise<void> {
    const pipeline = this.o.redis.pipeline();
    for (const item of batch) pipeline.xadd(item.stream, '*', ...encodeEntry('assignment', item.assignment));
    let results: Array<[Error | null, unknown]>;
    try {
      results = (await pipeline.exec()) ?? [];
    } catch (err) {
      results = batch.map(() => [err as Error, null]);
    }
    const published: PublishItem[] = [];
    batch.forEach((item, i) => {
      const err = results[i]?.[0] ?? (results[i] ? null : new Error('no reply'));
      item.tries++;
      if (!err) {
        this.o.metrics.meshDispatch.inc({ status: 'success' });
        published.push(item);
      } else if (item.tries < this.o.maxAttempts) {
        this.o.metrics.meshDispatch.inc({ status: 'retry' });
        this.retryLater(item);
      } else {
        this.o.metrics.meshDispatch.inc({ status: 'failure' });
        this.o.onGaveUp(item, err);
      }
    });
    if (published.length > 0) this.o.onPublished(published);
  }

  private retryLater(item: PublishItem): void {
    this.waiting++;
    const delay = Math.max(1, backoffDelay(item.tries - 1, this.o.retryBaseMs, this.o.retryCapMs, this.o.random));
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.waiting--;
      this.submit([item]);
    }, delay);
    this.timers.add(timer);
  }

  private report(): void {
    this.o.metrics.meshQueueDepth.set(this.depth);
    if (this.depth === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}
