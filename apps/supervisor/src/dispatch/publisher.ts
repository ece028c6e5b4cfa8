import type { SupervisorMetrics } from '@mesh/metrics-schema';
import { backoffDelay, encodeEntry, sleep, spreadPipeline, type Assignment, type Redis } from '@mesh/mesh-protocol';

export interface PublishItem {
  readonly stream: string;
  readonly assignment: Assignment;
  /** Whether a tenant override or the default domain chose the target (for routing metrics). */
  readonly route: string;
}

/** A publish that went out, with its entry id, or one given up. */
export type PublishOutcome =
  | { readonly ok: true; readonly entryId: string }
  | { readonly ok: false; readonly error: Error; readonly tries: number };

export interface PublisherOptions {
  readonly redis: Redis;
  readonly metrics: Pick<SupervisorMetrics, 'meshDispatch' | 'meshQueueDepth'>;
  /** XADDs per pipelined batch. */
  readonly batchSize: number;
  /** Pipelined batches in flight at once. */
  readonly concurrency: number;
  /** Attempts before giving up on one publish. */
  readonly maxAttempts: number;
  readonly retryBaseMs: number;
  readonly retryCapMs: number;
  /** Aborts waits between attempts (shutdown): publish() then rejects and nothing is reported as given up. */
  readonly signal: AbortSignal;
  readonly random?: () => number;
}

/**
 * Publishes assignments as pipelined XADD batches and resolves once each is on its stream or given up.
 * Every attempt ends in one `supervisor_mesh_dispatch_total` status: success, retry (failed, tried again
 * after exponential backoff with jitter) or failure (gave up after `maxAttempts`);
 * `supervisor_mesh_queue_depth` counts the publishes queued, in flight or waiting to retry.
 */
export class Publisher {
  private depth = 0;

  constructor(private readonly o: PublisherOptions) {}

  async publish(items: readonly PublishItem[]): Promise<PublishOutcome[]> {
    const outcomes: PublishOutcome[] = new Array(items.length);
    this.moveDepth(items.length);
    let pending = items.map((item, index) => ({ item, index, tries: 0 }));
    try {
      while (pending.length > 0) {
        const again: typeof pending = [];
        const batches: Array<typeof pending> = [];
        for (let c = 0; c < pending.length; c += this.o.batchSize) batches.push(pending.slice(c, c + this.o.batchSize));
        // `concurrency` lanes, each sending its batches one after another.
        const lane = async (): Promise<void> => {
          for (let batch = batches.shift(); batch; batch = batches.shift())
            await this.sendBatch(batch, outcomes, again);
        };
        await Promise.all(Array.from({ length: Math.min(this.o.concurrency, batches.length) }, lane));
        pending = again;
        if (pending.length > 0) {
          const tries = Math.max(...pending.map((p) => p.tries));
          await sleep(
            Math.max(1, backoffDelay(tries - 1, this.o.retryBaseMs, this.o.retryCapMs, this.o.random)),
            this.o.signal,
          );
          if (this.o.signal.aborted) throw new Error('the supervisor is stopping; unpublished work stays for another');
        }
      }
      return outcomes;
    } finally {
      this.moveDepth(-pending.length);
    }
  }

  /** Sends one batch and records each item's outcome, or queues it in `again` for another try. */
  private async sendBatch(
    batch: Array<{ item: PublishItem; index: number; tries: number }>,
    outcomes: PublishOutcome[],
    again: Array<{ item: PublishItem; index: number; tries: number }>,
  ): Promise<void> {
    const replies = await this.send(batch.map((p) => p.item));
    batch.forEach((p, k) => {
      const reply = replies[k] as Error | string;
      p.tries++;
      if (typeof reply === 'string') {
        this.o.metrics.meshDispatch.inc({ status: 'success' });
        outcomes[p.index] = { ok: true, entryId: reply };
        this.moveDepth(-1);
      } else if (p.tries < this.o.maxAttempts) {
        this.o.metrics.meshDispatch.inc({ status: 'retry' });
        again.push(p);
      } else {
        this.o.metrics.meshDispatch.inc({ status: 'failure' });
        outcomes[p.index] = { ok: false, error: reply, tries: p.tries };
        this.moveDepth(-1);
      }
    });
  }

  /** One pipelined round trip; per XADD, its entry id, or its error. */
  private async send(batch: readonly PublishItem[]): Promise<Array<Error | string>> {
    // A batch may hold several domains' streams, in several slots of a cluster.
    const pipeline = spreadPipeline(this.o.redis);
    for (const item of batch) pipeline.xadd(item.stream, '*', ...encodeEntry('assignment', item.assignment));
    try {
      const results = (await pipeline.exec()) ?? [];
      return batch.map((_, i) => {
        const [err, id] = results[i] ?? [new Error('no reply'), null];
        return err ?? (typeof id === 'string' ? id : new Error('no entry id in the reply'));
      });
    } catch (err) {
      return batch.map(() => err as Error);
    }
  }

  private moveDepth(by: number): void {
    this.depth += by;
    this.o.metrics.meshQueueDepth.set(this.depth);
  }
}
