/**
 * The BullMQ baseline's worker, in its own process (forked by mesh-bench.ts): a Worker on the queue
 * `bench` with the given concurrency (50 by default) and a processor that does nothing. It counts
 * completions from its own `completed` events: on `expect` it counts the next `tasks`, reports
 * progress, and says `all-done` with the latest `finishedOn` once all have completed; with `each` it
 * also reports every job's `timestamp` (set by Queue.add) and `finishedOn`.
 */
import { Worker, type Job } from 'bullmq';
import { childConfig, reply, serveParent } from './ipc';
import { bullmqQueue, type WorkerCommand, type WorkerReply } from './messages';

const PROGRESS_EVERY = 500;

const config = childConfig();
const { name, prefix } = bullmqQueue(config);
let expected = 0;
let done = 0;
let each = false;
let lastFinishedOn = 0;

const worker = new Worker(name, () => Promise.resolve(), {
  connection: { url: config.redisUrl },
  prefix,
  concurrency: config.concurrency ?? 50,
  autorun: false,
});

worker.on('completed', (job: Job) => {
  if (done >= expected) return;
  done++;
  const finishedOn = job.finishedOn ?? Date.now();
  lastFinishedOn = Math.max(lastFinishedOn, finishedOn);
  if (each) reply<WorkerReply>({ type: 'job', jobId: job.id ?? '', timestamp: job.timestamp, finishedOn });
  if (done === expected) reply<WorkerReply>({ type: 'all-done', lastFinishedOn });
  else if (done % PROGRESS_EVERY === 0) reply<WorkerReply>({ type: 'progress', done });
});
worker.on('failed', (job: Job | undefined, err: Error) => {
  reply<WorkerReply>({ type: 'error', message: `job ${job?.id ?? '?'} failed: ${err.message}` });
});

async function main(): Promise<void> {
  await worker.waitUntilReady();
  serveParent<WorkerCommand>(
    (command) => {
      if (command.type === 'expect') {
        expected = command.tasks;
        each = command.each;
        done = 0;
        lastFinishedOn = 0;
        reply<WorkerReply>({ type: 'expecting' });
      }
      return Promise.resolve();
    },
    () => worker.close(),
  );
  void worker.run().catch((err: unknown) => {
    reply<WorkerReply>({ type: 'error', message: `worker: ${(err as Error).message}` });
    process.exit(1);
  });
  reply<WorkerReply>({ type: 'ready' });
}

main().catch((err: unknown) => {
  reply<WorkerReply>({ type: 'error', message: (err as Error).message });
  process.exit(1);
});
