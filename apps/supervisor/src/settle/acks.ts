import type { Ack, ConsumedEntry, RedisStreamConsumer } from '@mesh/mesh-protocol';
import type { Coordinator } from '../runs/coordinator';

/**
 * Applies a batch of acks (idempotently, by task attempt) and acks their entries once every consequence
 * is durable. An entry read again (a supervisor died before acking it) is a replay: what it queued is
 * published again if it is still queued.
 */
export function createAckHandler(
  consumer: RedisStreamConsumer<'ack'>,
  coordinator: Coordinator,
): (entries: ConsumedEntry<Ack>[]) => Promise<void> {
  return async (entries) => {
    await coordinator.advance({
      settlements: entries.map(({ message: a, deliveries }) => ({
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
      })),
    });
    await consumer.ack(entries.map((e) => e.id));
  };
}
