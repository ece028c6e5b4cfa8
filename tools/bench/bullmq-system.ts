import { join } from 'node:path';
import { measureIdle, startCpuMeasurement, type MeteredProcess } from './cpu';
import { forkChild, type ChildLink } from './ipc';
import type { ProducerCommand, ProducerReply, WorkerCommand, WorkerReply } from './messages';
import type { FanOutResult, SystemContext, SystemResult } from './results';
import { rate, summarize } from './stats';

/** Jobs per Queue.addBulk call. */
export const BULLMQ_CHUNK = 1000;

type Producer = ChildLink<ProducerCommand, ProducerReply>;
type Worker = ChildLink<WorkerCommand, WorkerReply>;

/** From the producer's first add until the worker has completed every job. */
async function fanOut(producer: Producer, worker: Worker, tasks: number, timeoutMs: number) {
  worker.send({ type: 'expect', tasks, each: false });
  await worker.next('expecting', 10_000);
  const allDone = worker.next('all-done', timeoutMs);
  producer.send({ type: 'add-bulk', tasks, chunk: BULLMQ_CHUNK });
  const [added, done] = await Promise.all([producer.next('added-bulk', timeoutMs), allDone]);
  return { ms: done.lastFinishedOn - added.firstAddAt, addMs: added.lastAddedAt - added.firstAddAt };
}

/**
 * BullMQ 6 with one producer and one worker process (tools/bench/bullmq-*.ts) on the same Redis:
 * warm-up, fan-out, sequential single-job latency.
 */
export async function benchBullmq(ctx: SystemContext, concurrency: number): Promise<SystemResult> {
  const config = { redisUrl: ctx.redisUrl, prefix: ctx.prefix, concurrency };
  const producer: Producer = forkChild('BullMQ producer', join(__dirname, 'bullmq-producer.js'), config);
  const worker: Worker = forkChild('BullMQ worker', join(__dirname, 'bullmq-worker.js'), config);
  const unregister = ctx.onCleanup(() => Promise.all([producer.stop(), worker.stop()]));
  try {
    await Promise.all([producer.next('ready', 10_000), worker.next('ready', 10_000)]);
    const processes: MeteredProcess[] = [
      { name: 'BullMQ producer', pid: producer.pid, inTotal: true },
      { name: `BullMQ worker (concurrency ${concurrency})`, pid: worker.pid, inTotal: true },
      ctx.redisProcess,
    ];
    if (ctx.warmupTasks > 0) await fanOut(producer, worker, ctx.warmupTasks, ctx.timeoutMs);
    const idle = ctx.idleMs > 0 ? await measureIdle(processes, ctx.idleMs) : undefined;

    ctx.say(`BullMQ: fan-out of ${ctx.tasks} jobs (addBulk in chunks of ${BULLMQ_CHUNK})`);
    ctx.progress.begin('BullMQ fan-out', ctx.tasks);
    const offProgress = worker.on((r) => r.type === 'progress' && ctx.progress.update(r.done));
    let cpu = startCpuMeasurement(processes);
    const { ms, addMs } = await fanOut(producer, worker, ctx.tasks, ctx.timeoutMs);
    const fanOutCpu = cpu.stop(ctx.tasks);
    offProgress();
    ctx.progress.end();
    const fanOutResult: FanOutResult = {
      tasks: ctx.tasks,
      ms,
      tasksPerSec: rate(ctx.tasks, ms),
      clock: "Date.now() before the producer's first addBulk to the worker's latest job.finishedOn",
      cpu: fanOutCpu,
      extra: { addBulkMs: addMs, chunk: BULLMQ_CHUNK },
    };

    ctx.say(`BullMQ: ${ctx.latencyRuns} sequential single jobs`);
    ctx.progress.begin('BullMQ latency', ctx.latencyRuns);
    worker.send({ type: 'expect', tasks: ctx.latencyRuns, each: true });
    await worker.next('expecting', 10_000);
    const samples: number[] = [];
    cpu = startCpuMeasurement(processes);
    for (let i = 0; i < ctx.latencyRuns; i++) {
      const completed = worker.next('job', 10_000);
      producer.send({ type: 'add-one', i });
      const [{ jobId }, job] = await Promise.all([producer.next('added-one', 10_000), completed]);
      if (job.jobId !== jobId) throw new Error(`BullMQ worker completed job ${job.jobId}, expected ${jobId}`);
      samples.push(job.finishedOn - job.timestamp);
      ctx.progress.update(i + 1);
    }
    const latencyCpu = cpu.stop(ctx.latencyRuns);
    ctx.progress.end();

    return {
      system: 'bullmq',
      label: `BullMQ (producer + worker, concurrency ${concurrency})`,
      fanOut: fanOutResult,
      latency: {
        ...summarize(samples),
        clock: 'job.timestamp (Queue.add) to job.finishedOn, epoch ms',
        cpu: latencyCpu,
      },
      ...(idle ? { idle } : {}),
    };
  } finally {
    await Promise.all([producer.stop(), worker.stop()]);
    unregister();
  }
}
