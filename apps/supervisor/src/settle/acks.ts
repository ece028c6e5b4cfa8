import type { ConsumedEntry, RedisStreamConsumer, RunnerReport } from '@mesh/mesh-protocol';
import type { PickupInput, RunState } from '@mesh/run-state';
import type { RunnerDirectory } from '../dispatch/runner-directory';
import type { RunEvents } from '../events/run-events';
import type { Coordinator, Settlement } from '../runs/coordinator';

export interface ReportHandlerOptions {
  readonly consumer: RedisStreamConsumer<'report'>;
  readonly state: RunState;
  readonly coordinator: Coordinator;
  readonly events: RunEvents;
  readonly directory: RunnerDirectory;
}

/**
 * Applies a batch of runner reports (and single acks, read as one-ack reports): pickups first, so a task
 * shows `running` on its runner with its real start time, then the acks, idempotently by task attempt;
 * the entries are acked once every consequence is durable. An entry read again (a supervisor died before
 * acking it) is a replay: what its acks queued is published again if it is still queued.
 */
export function createReportHandler(
  o: ReportHandlerOptions,
): (entries: ConsumedEntry<RunnerReport>[]) => Promise<void> {
  return async (entries) => {
    const events = o.events.batch();
    const pickups = new Map<string, Array<PickupInput & { workflow: string }>>();
    const settlements: Settlement[] = [];
    for (const { message: r, deliveries } of entries) {
      if (r.started.length > 0) {
        const list = pickups.get(r.runnerId) ?? [];
        for (const s of r.started)
          list.push({
            runId: s.runId,
            workflow: s.workflow,
            taskId: s.taskId,
            attempt: s.attempt,
            startedAt: s.startedAt,
          });
        pickups.set(r.runnerId, list);
      }
      for (const a of r.acks)
        settlements.push({
          ack: a,
          input: {
            runId: a.runId,
            taskId: a.taskId,
            attempt: a.attempt,
            success: a.success,
            allowRetry: true,
            ...(a.error !== undefined ? { error: a.error } : a.success ? {} : { error: 'task failed' }),
            ...(a.success && a.output !== undefined ? { outputJson: JSON.stringify(a.output) } : {}),
            runnerId: a.runnerId,
            startedAt: a.startedAt,
            replay: deliveries > 1,
          },
        });
    }
    if (pickups.size > 0) {
      await o.directory.fresh();
      await Promise.all(
        [...pickups].map(async ([runnerId, items]) => {
          const started = await o.state.pickup(runnerId, o.directory.hardwareOfRunner(runnerId), items);
          items.forEach((p, i) => {
            if (started[i])
              events.add(p.runId, p.workflow, 'task-started', { taskId: p.taskId, attempt: p.attempt, runnerId });
          });
        }),
      );
    }
    await o.coordinator.advance({ settlements, events });
    await o.consumer.ack(entries.map((e) => e.id));
  };
}

/**
 * Settles the attempts acked in a report past its delivery limit (every attempt to apply it failed) as failed
 * with the reason, retry allowed: its run goes on instead of waiting for an ack that was given up. A success
 * is not applied either (its output is not stored): the task runs again if it has retries left, which is
 * at-least-once, rather than dropping the work or failing work that may have succeeded. An attempt already
 * settled is left as it is (a duplicate).
 */
export function createExhaustedReportHandler(
  o: Pick<ReportHandlerOptions, 'coordinator'>,
): (entry: ConsumedEntry<RunnerReport>) => Promise<void> {
  return async ({ message: r, deliveries }) => {
    const limit = `report of runner ${r.runnerId} given up after ${deliveries} deliveries (delivery limit)`;
    const settlements: Settlement[] = r.acks.map((a) => ({
      input: {
        runId: a.runId,
        taskId: a.taskId,
        attempt: a.attempt,
        success: false,
        allowRetry: true,
        error: a.success
          ? `${limit}; it reported success, not applied`
          : `${limit}; it reported: ${a.error ?? 'task failed'}`,
        runnerId: a.runnerId,
        startedAt: a.startedAt,
      },
    }));
    await o.coordinator.advance({ settlements });
  };
}
