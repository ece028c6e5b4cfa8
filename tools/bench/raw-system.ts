import { join } from 'node:path';
import { measureIdle, startCpuMeasurement, type MeteredProcess } from './cpu';
import { forkChild } from './ipc';
import type { RawCommand, RawReply } from './messages';
import type { SystemContext, SystemResult } from './results';
import { rate, summarize } from './stats';

/** Runs the raw Redis-streams loop (tools/bench/raw-loop.ts) in its own process: warm-up, fan-out, latency. */
export async function benchRawLoop(ctx: SystemContext): Promise<SystemResult> {
  const raw = forkChild<RawCommand, RawReply>('raw loop', join(__dirname, 'raw-loop.js'), {
    redisUrl: ctx.redisUrl,
    prefix: ctx.prefix,
  });
  const unregister = ctx.onCleanup(() => raw.stop());
  try {
    await raw.next('ready', 10_000);
    const processes: MeteredProcess[] = [{ name: 'raw loop process', pid: raw.pid, inTotal: true }, ctx.redisProcess];

    if (ctx.warmupTasks > 0) {
      raw.send({ type: 'fan-out', tasks: ctx.warmupTasks });
      await raw.next('fan-out-done', ctx.timeoutMs);
    }
    const idle = ctx.idleMs > 0 ? await measureIdle(processes, ctx.idleMs) : undefined;

    ctx.say(`raw loop: fan-out of ${ctx.tasks} entries`);
    ctx.progress.begin('raw loop fan-out', ctx.tasks);
    const offProgress = raw.on((r) => r.type === 'progress' && ctx.progress.update(r.done));
    let cpu = startCpuMeasurement(processes);
    raw.send({ type: 'fan-out', tasks: ctx.tasks });
    const { ms } = await raw.next('fan-out-done', ctx.timeoutMs);
    const fanOutCpu = cpu.stop(ctx.tasks);
    offProgress();
    ctx.progress.end();

    ctx.say(`raw loop: ${ctx.latencyRuns} sequential single entries`);
    ctx.progress.begin('raw loop latency');
    cpu = startCpuMeasurement(processes);
    raw.send({ type: 'latency', runs: ctx.latencyRuns });
    const { samplesMs } = await raw.next('latency-done', ctx.timeoutMs + ctx.latencyRuns * 10_000);
    const latencyCpu = cpu.stop(ctx.latencyRuns);
    ctx.progress.end();

    return {
      system: 'raw',
      label: 'raw Redis-streams loop',
      fanOut: {
        tasks: ctx.tasks,
        ms,
        tasksPerSec: rate(ctx.tasks, ms),
        clock: 'performance.now() in the loop process, first XADD to the last ack read',
        cpu: fanOutCpu,
      },
      latency: {
        ...summarize(samplesMs),
        clock: 'performance.now(), XADD to its ack read (sub-ms resolution)',
        cpu: latencyCpu,
      },
      ...(idle ? { idle } : {}),
    };
  } finally {
    await raw.stop();
    unregister();
  }
}
