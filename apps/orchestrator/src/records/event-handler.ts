import type { Logger } from '@mesh/logging';
import type { OrchestratorMetrics } from '@mesh/metrics-schema';
import type { ConsumedEntry, RedisStreamConsumer, RunEvent } from '@mesh/mesh-protocol';
import type { RecordStore } from './record-store';
import type { RunnerHardware } from './runner-hardware';

/** Folds a batch of run events into records, then acks them. Applying an event twice changes nothing. */
export function createEventHandler(o: {
  consumer: RedisStreamConsumer<'event'>;
  records: RecordStore;
  hardware: RunnerHardware;
  metrics: OrchestratorMetrics;
  logger: Logger;
}): (entries: ConsumedEntry<RunEvent>[]) => Promise<void> {
  return async (entries) => {
    if (entries.some((e) => e.message.runnerId && !o.hardware.of(e.message.runnerId))) await o.hardware.refresh();
    const events = entries.map((e) => e.message);
    const results = await o.records.apply(events, (runnerId) => o.hardware.of(runnerId));
    results.forEach((r, i) => {
      if (r.outcome === 'unknown_run') {
        o.metrics.runEvents.inc({ outcome: 'unknown_run' });
        o.logger.debug({ runId: events[i]?.runId, type: events[i]?.type }, 'event for a run without a record');
        return;
      }
      o.metrics.runEvents.inc({ outcome: r.outcome });
      if (r.finished) {
        o.metrics.runsFinished.inc({ status: r.finished });
        o.logger.info(
          { runId: events[i]?.runId, workflow: events[i]?.workflow, status: r.finished },
          'run record finished',
        );
      }
    });
    await o.consumer.ack(entries.map((e) => e.id));
  };
}
