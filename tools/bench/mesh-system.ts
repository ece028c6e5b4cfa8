import { measureIdle, startCpuMeasurement, type MeteredProcess } from './cpu';
import { echoWorkflowBody, MeshClient, type PollOptions } from './mesh-client';
import { launchMesh, meshPorts } from './mesh-launch';
import type { SystemContext, SystemResult } from './results';
import { rate, summarize } from './stats';

/** The orchestrator's default ORCHESTRATOR_BODY_LIMIT_BYTES. */
const DEFAULT_BODY_LIMIT = 1024 * 1024;
/** The longest pause between GETs of the fan-out's record (a 10,000-task record is large). */
const FAN_OUT_MAX_POLL_MS = 2000;
/** GET a one-task run's record this often. */
const LATENCY_POLL_MS = 50;
const WORKFLOW = 'bench';
const TENANT = 'bench';

/** ORCHESTRATOR_BODY_LIMIT_BYTES for a body this large: undefined while the default fits. */
export function fanOutBodyLimit(bodyBytes: number): number | undefined {
  return bodyBytes > DEFAULT_BODY_LIMIT ? bodyBytes + 1024 : undefined;
}

export interface MeshBenchOptions {
  readonly runnerConcurrency: number;
  /** The shortest pause between GETs of the fan-out's record. */
  readonly pollMs: number;
}

/**
 * The mesh as users run it: the built orchestrator, supervisor and two env runners, driven through
 * the HTTP API. Times come from the run record's own `submittedAt` and `finishedAt`.
 */
export async function benchMesh(ctx: SystemContext, o: MeshBenchOptions): Promise<SystemResult> {
  const fanOutBody = echoWorkflowBody(WORKFLOW, TENANT, ctx.tasks);
  const bodyBytes = Buffer.byteLength(fanOutBody);
  const bodyLimitBytes = fanOutBodyLimit(bodyBytes);
  if (bodyLimitBytes)
    ctx.say(`mesh: the fan-out body is ${bodyBytes} bytes; ORCHESTRATOR_BODY_LIMIT_BYTES raised to fit`);

  ctx.say(
    `mesh: starting the built orchestrator, supervisor and 2 env runners (RUNNER_CONCURRENCY=${o.runnerConcurrency})`,
  );
  const ports = await meshPorts();
  const mesh = launchMesh(
    {
      root: ctx.root,
      redisUrl: ctx.redisUrl,
      prefix: ctx.prefix,
      runnerConcurrency: o.runnerConcurrency,
      ...(bodyLimitBytes ? { bodyLimitBytes } : {}),
    },
    ports,
  );
  const unregister = ctx.onCleanup(() => mesh.stop());
  try {
    await mesh.ready();
    const client = new MeshClient(mesh.api);
    const services: MeteredProcess[] = mesh.services.map(({ name, service }) => ({
      name,
      pid: service.child.pid,
      inTotal: true,
    }));
    const processes: MeteredProcess[] = [
      ...services,
      ctx.redisProcess,
      { name: 'bench client (HTTP + polls; not in total)', pid: process.pid, inTotal: false },
    ];
    const runOnce = async (body: string, poll: Omit<PollOptions, 'timeoutMs'>) => {
      const runPath = await mesh.guard(client.submit(body));
      return { runPath, ...(await mesh.guard(client.waitForRun(runPath, { ...poll, timeoutMs: ctx.timeoutMs }))) };
    };

    const fanOutPoll = { pollMs: o.pollMs, maxPollMs: Math.max(o.pollMs, FAN_OUT_MAX_POLL_MS) };
    if (ctx.warmupTasks > 0) await runOnce(echoWorkflowBody(WORKFLOW, TENANT, ctx.warmupTasks), fanOutPoll);
    const idle = ctx.idleMs > 0 ? await mesh.guard(measureIdle(processes, ctx.idleMs)) : undefined;

    ctx.say(`mesh: fan-out of ${ctx.tasks} echo tasks in one run (POST /workflow, ${bodyBytes} bytes)`);
    ctx.progress.begin('mesh fan-out (GET of the run record)');
    let cpu = startCpuMeasurement(processes);
    const clientStart = performance.now();
    const run = await runOnce(fanOutBody, {
      ...fanOutPoll,
      onPoll: (status) => ctx.progress.update(0, status),
    });
    const clientMs = performance.now() - clientStart;
    const fanOutCpu = cpu.stop(ctx.tasks);
    ctx.progress.end();
    const ms = run.finishedAt - run.submittedAt;
    // What one GET of the finished record costs the orchestrator, apart from the phase.
    const getCpu = startCpuMeasurement(services.filter((s) => s.name === 'orchestrator'));
    const finishedGet = await mesh.guard(client.timeGet(run.runPath));
    const getCpuMs = getCpu.stop(1).processes[0]?.cpuMs ?? null;

    ctx.say(`mesh: ${ctx.latencyRuns} sequential one-task runs`);
    ctx.progress.begin('mesh latency', ctx.latencyRuns);
    const oneTask = echoWorkflowBody(WORKFLOW, TENANT, 1);
    const samples: number[] = [];
    cpu = startCpuMeasurement(processes);
    for (let i = 0; i < ctx.latencyRuns; i++) {
      const one = await runOnce(oneTask, { pollMs: LATENCY_POLL_MS });
      samples.push(one.finishedAt - one.submittedAt);
      ctx.progress.update(i + 1);
    }
    const latencyCpu = cpu.stop(ctx.latencyRuns);
    ctx.progress.end();

    return {
      system: 'mesh',
      label: `mesh (HTTP API, orchestrator + supervisor + 2 runners)`,
      fanOut: {
        tasks: ctx.tasks,
        ms,
        tasksPerSec: rate(ctx.tasks, ms),
        clock: "the run record's submittedAt to finishedAt (epoch ms)",
        cpu: fanOutCpu,
        extra: {
          bodyBytes,
          clientObservedMs: Math.round(clientMs),
          polls: run.polls,
          pollsWallMs: Math.round(run.getMs),
          finishedRecordBytes: finishedGet.bytes,
          finishedRecordGetMs: Math.round(finishedGet.ms),
          finishedRecordGetOrchestratorCpuMs: getCpuMs ?? 'n/a',
          // The polls GET records at most this large, so they cost the orchestrator at most this much.
          pollsOrchestratorCpuMsAtMost: getCpuMs === null ? 'n/a' : getCpuMs * run.polls,
        },
      },
      latency: {
        ...summarize(samples),
        clock: "the run record's submittedAt to finishedAt, epoch ms (1 ms resolution)",
        cpu: latencyCpu,
      },
      ...(idle ? { idle } : {}),
    };
  } finally {
    await mesh.stop();
    unregister();
  }
}
