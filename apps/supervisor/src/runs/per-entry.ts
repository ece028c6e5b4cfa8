import type { Logger } from '@mesh/logging';
import type { ConsumedEntry } from '@mesh/mesh-protocol';

/**
 * Wraps a batch handler so that one entry that keeps failing holds back only itself. A batch is handled as one
 * (the fast path); when that fails, each entry is handled again on its own, as a replay (the failed batch may
 * have applied part of its work, so what it queued must be published again). Entries that fail on their own
 * stay unacked: they are taken again later, and past the delivery limit they are ended (see `exhausted`).
 * Rejects when any entry failed, after every other entry was handled and acked.
 */
export function perEntryOnFailure<T>(
  handle: (entries: ConsumedEntry<T>[]) => Promise<void>,
  o: { readonly logger: Logger; readonly stopping: AbortSignal },
): (entries: ConsumedEntry<T>[]) => Promise<void> {
  return async (entries) => {
    try {
      await handle(entries);
      return;
    } catch (err) {
      if (entries.length === 1 || o.stopping.aborted) throw err;
      o.logger.warn({ err, entries: entries.length }, 'a batch failed; handling its entries one by one');
    }
    let failed = 0;
    let last: unknown;
    for (const entry of entries) {
      if (o.stopping.aborted) throw new Error('the supervisor is stopping; unhandled entries stay for another');
      try {
        await handle([{ ...entry, deliveries: Math.max(2, entry.deliveries) }]);
      } catch (err) {
        failed++;
        last = err;
      }
    }
    if (failed > 0)
      throw new AggregateError([last], `${failed} of ${entries.length} entries failed; they will be taken again`);
  };
}

/**
 * Ends entries past their delivery limit one by one with `end`, so one that cannot be ended does not keep the
 * others pending: when some fail, the ones ended are dead-lettered here and the call rejects (the failed ones
 * stay pending and are tried again); when all are ended, the caller dead-letters them.
 */
export function endEach<T>(
  end: (entry: ConsumedEntry<T>) => Promise<void>,
  deadLetter: (entries: ConsumedEntry<T>[]) => Promise<void>,
): (entries: ConsumedEntry<T>[]) => Promise<void> {
  return async (entries) => {
    const ended: ConsumedEntry<T>[] = [];
    let last: unknown;
    for (const entry of entries) {
      try {
        await end(entry);
        ended.push(entry);
      } catch (err) {
        last = err;
      }
    }
    if (ended.length === entries.length) return;
    await deadLetter(ended);
    throw new AggregateError(
      [last],
      `${entries.length - ended.length} of ${entries.length} entries past the delivery limit could not be ended yet`,
    );
  };
}
