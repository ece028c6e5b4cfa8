/**
 * The BullMQ baseline's producer, in its own process (forked by mesh-bench.ts): adds no-op jobs to
 * the queue `bench` under the run's key prefix, with BullMQ's default job options.
 *   add-bulk: `tasks` jobs with Queue.addBulk in chunks, awaited one after the other;
 *   add-one: one job with Queue.add.
 */
import { Queue } from 'bullmq';
import { childConfig, reply, serveParent } from './ipc';
import { bullmqQueue, type ProducerCommand, type ProducerReply } from './messages';

const config = childConfig();
const { name, prefix } = bullmqQueue(config);
const queue = new Queue(name, { connection: { url: config.redisUrl }, prefix });

async function addBulk(tasks: number, chunk: number): Promise<void> {
  const firstAddAt = Date.now();
  for (let i = 0; i < tasks; i += chunk) {
    const jobs = [];
    for (let j = i; j < Math.min(tasks, i + chunk); j++) jobs.push({ name: 'echo', data: { i: j } });
    await queue.addBulk(jobs);
  }
  reply<ProducerReply>({ type: 'added-bulk', firstAddAt, lastAddedAt: Date.now() });
}

async function addOne(i: number): Promise<void> {
  const job = await queue.add('echo', { i });
  reply<ProducerReply>({ type: 'added-one', jobId: job.id ?? '' });
}

async function main(): Promise<void> {
  await queue.waitUntilReady();
  serveParent<ProducerCommand>(
    async (command) => {
      if (command.type === 'add-bulk') await addBulk(command.tasks, command.chunk);
      else if (command.type === 'add-one') await addOne(command.i);
    },
    () => queue.close(),
  );
  reply<ProducerReply>({ type: 'ready' });
}

main().catch((err: unknown) => {
  reply<ProducerReply>({ type: 'error', message: (err as Error).message });
  process.exit(1);
});
