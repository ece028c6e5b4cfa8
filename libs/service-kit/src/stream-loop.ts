import type { Logger } from '@mesh/logging';
import {
  sleep,
  type ConsumedEntry,
  type MessageField,
  type MessageTypes,
  type RedisStreamConsumer,
} from '@mesh/mesh-protocol';

export interface StreamLoopOptions<F extends MessageField> {
  readonly consumer: RedisStreamConsumer<F>;
  /** Processes a batch and acks what it settled; entries it leaves unacked are reclaimed later. */
  readonly handle: (entries: ConsumedEntry<MessageTypes[F]>[]) => Promise<void>;
  /** Entries delivered too often: settle them, then dead-letter them (default: dead-letter only). */
  readonly exhausted?: (entries: ConsumedEntry<MessageTypes[F]>[]) => Promise<void>;
  readonly reclaimIntervalMs: number;
  readonly logger: Logger;
}

/**
 * Reads one stream in its consumer group until stopped: new entries as they come, and every
 * `reclaimIntervalMs` entries other (possibly dead) consumers of the group left idle. Entries being
 * processed are leased: their idle time is renewed on the same beat, so no consumer (this one included)
 * reclaims them while a slow batch is still at work.
 */
export class StreamLoop<F extends MessageField> {
  private readonly stopping = new AbortController();
  private loops: Promise<void>[] = [];
  private readonly inFlight = new Set<string>();

  constructor(private readonly o: StreamLoopOptions<F>) {}

  start(): void {
    this.loops = [this.readLoop(), this.reclaimLoop(), this.renewLoop()];
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    this.o.consumer.close();
    await Promise.all(this.loops);
  }

  private async readLoop(): Promise<void> {
    while (!this.stopping.signal.aborted) {
      const batch = await this.o.consumer.readBatch();
      if (batch.length > 0) await this.process(batch);
    }
  }

  private async reclaimLoop(): Promise<void> {
    while (!this.stopping.signal.aborted) {
      await sleep(this.o.reclaimIntervalMs, this.stopping.signal);
      if (this.stopping.signal.aborted) break;
      const reclaimed = await this.o.consumer.reclaim();
      const entries = reclaimed.entries.filter((e) => !this.inFlight.has(e.id));
      const exhausted = reclaimed.exhausted.filter((e) => !this.inFlight.has(e.id));
      if (entries.length > 0) await this.process(entries);
      if (exhausted.length > 0) {
        try {
          await this.o.exhausted?.(exhausted);
          await this.o.consumer.deadLetter(
            exhausted,
            'delivery_limit',
            (id) => `gave up after ${exhausted.find((e) => e.id === id)?.deliveries} deliveries`,
          );
        } catch (err) {
          this.o.logger.warn({ err }, 'could not dead-letter exhausted entries; retrying later');
        }
      }
    }
  }

  /** Its own beat, so that a long batch in either loop never stops the leases of the other's entries. */
  private async renewLoop(): Promise<void> {
    while (!this.stopping.signal.aborted) {
      await sleep(this.o.reclaimIntervalMs, this.stopping.signal);
      if (this.stopping.signal.aborted || this.inFlight.size === 0) continue;
      try {
        await this.o.consumer.renew([...this.inFlight]);
      } catch (err) {
        this.o.logger.warn({ err }, 'renewing the lease of entries in progress failed; retrying');
      }
    }
  }

  private async process(batch: ConsumedEntry<MessageTypes[F]>[]): Promise<void> {
    for (const e of batch) this.inFlight.add(e.id);
    try {
      await this.o.handle(batch);
    } catch (err) {
      // Not acked: the entries are reclaimed and processed again (processing is idempotent).
      this.o.logger.warn({ err, entries: batch.length }, 'processing a batch failed; it will be retried');
      await sleep(100, this.stopping.signal);
    } finally {
      for (const e of batch) this.inFlight.delete(e.id);
    }
  }
}
