import type { Ack, ConsumedEntry, RedisStreamConsumer } from '@mesh/mesh-protocol';
import type { Coordinator } from '../state/coordinator';

/** Applies a batch of acks (idempotently, by assignment attempt) and acks the entries once their effects are durable. */
export function createAckHandler(
  consumer: RedisStreamConsumer<'ack'>,
  coordinator: Coordinator,
): (entries: ConsumedEntry<Ack>[]) => Promise<void> {
  return async (entries) => {
    await coordinator.settle(
      entries.map(({ message: a }) => ({
        ack: a,
        workflow: a.workflow,
        input: {
          runId: a.runId,
          taskId: a.taskId,
          attempt: a.attempt,
          success: a.success,
          allowRetry: true,
          ...(a.error !== undefined ? { error: a.error } : a.success ? {} : { error: 'task failed' }),
        },
      })),
    );
    await consumer.ack(entries.map((e) => e.id));
  };
}
