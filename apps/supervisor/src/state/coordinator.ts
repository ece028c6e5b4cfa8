import type { Logger } from '@mesh/logging';
import type { SupervisorMetrics } from '@mesh/metrics-schema';
import { backoffDelay, type Ack, type RunEvent } from '@mesh/mesh-protocol';
import { memberOf, type Schedule, type ScheduleEntry } from '../dispatch/schedule';
import type { RunEvents } from '../events/run-events';
import type { RunStore, SettleInput, SettleResult } from './run-store';

export interface CoordinatorOptions {
  readonly store: RunStore;
  readonly schedule: Schedule;
  readonly events: RunEvents;
  readonly metrics: SupervisorMetrics;
  readonly logger: Logger;
  /** Backoff before a failed task's next attempt. */
  readonly taskRetryBaseMs: number;
  readonly taskRetryCapMs: number;
  readonly now: () => number;
  readonly random?: () => number;
  /** Called when entries became due now (the dispatcher wakes up). */
  readonly onDue: () => void;
}

/** A settlement and where it came from: a runner's ack, or the supervisor itself (deadline, publish gave up). */
export interface Settlement {
  readonly input: SettleInput;
  readonly workflow: string;
  readonly ack?: Ack;
}

/**
 * Applies task settlements to run state and carries out their consequences: per-worker and
 * per-workflow metrics, run events, and scheduling of tasks that became ready or will retry. The
 * consequences are durable (events and schedule written) before this resolves, so the caller may
 * then XACK what it read. A settlement seen again (duplicate ack, reclaimed entry) counts as a
 * duplicate, re-schedules any ready children and repeats the terminal events, which readers apply
 * idempotently.
 */
export class Coordinator {
  constructor(private readonly o: CoordinatorOptions) {}

  async settle(settlements: readonly Settlement[]): Promise<void> {
    if (settlements.length === 0) return;
    const results = await this.o.store.settleMany(settlements.map((s) => s.input));
    const events: RunEvent[] = [];
    const due: Array<{ entry: ScheduleEntry; at: number }> = [];
    const watches: string[] = [];
    const finishing: Array<Promise<RunEvent>> = [];
    const now = this.o.now();

    settlements.forEach((s, i) => {
      const r = results[i] as SettleResult;
      const { runId, taskId, attempt } = s.input;
      watches.push(memberOf({ kind: 'watch', runId, taskId, attempt }));
      const ready = (at: number) =>
        r.ready.forEach((t) =>
          due.push({ entry: { kind: 'dispatch', runId, taskId: t.taskId, attempt: t.attempt }, at }),
        );

      if (r.outcome === 'duplicate' || r.outcome === 'unknown') {
        if (s.ack) this.o.metrics.duplicateAcks.inc();
        ready(now);
        if (r.outcome === 'duplicate') finishing.push(...this.repeatTerminalEvents(s, r, events));
        return;
      }
      if (s.ack) {
        const worker = s.ack.runnerId;
        this.o.metrics.workerLatencySeconds.inc({ worker }, s.ack.latencyMs / 1000);
        this.o.metrics.workerLatencySamples.inc({ worker });
        if (!s.ack.success) this.o.metrics.workerTaskFailures.inc({ worker });
      }
      const base = {
        taskId,
        attempt,
        ...(s.ack ? { runnerId: s.ack.runnerId } : {}),
        ...(s.input.error && !s.input.success ? { error: s.input.error } : {}),
      };
      if (r.outcome === 'retry') {
        ready(now + backoffDelay(attempt - 1, this.o.taskRetryBaseMs, this.o.taskRetryCapMs, this.o.random));
        events.push(this.o.events.make(runId, s.workflow, 'task-retrying', base));
        return;
      }
      ready(now);
      events.push(this.o.events.make(runId, s.workflow, s.input.success ? 'task-succeeded' : 'task-failed', base));
      for (const skipped of r.skipped)
        events.push(
          this.o.events.make(runId, s.workflow, 'task-skipped', {
            taskId: skipped,
            error: `dependency ${taskId} failed`,
          }),
        );
      if (r.finishedRun) finishing.push(this.finishRun(runId, s.workflow, r.runStatus));
    });

    events.push(...(await Promise.all(finishing)));
    await this.o.events.publish(events);
    await this.o.schedule.add(due);
    await this.o.schedule.remove(watches);
    if (due.some((d) => d.at <= now)) this.o.onDue();
  }

  /** Counts the finished run in the workflow metrics and returns its run-succeeded / run-failed event. */
  private async finishRun(runId: string, workflow: string, status: string): Promise<RunEvent> {
    const meta = await this.o.store.meta(runId);
    const outcome = status === 'succeeded' ? 'success' : 'failure';
    const finishedAt = Number(meta['finishedAt'] ?? this.o.now());
    const latencyMs = Math.max(0, finishedAt - Number(meta['submittedAt'] ?? finishedAt));
    this.o.metrics.workflowEvents.inc({ workflow, outcome });
    this.o.metrics.workflowLatencySeconds.inc({ workflow }, latencyMs / 1000);
    this.o.metrics.workflowLatencySamples.inc({ workflow });
    this.o.logger.info({ runId, workflow, status, latencyMs }, 'run finished');
    return this.runFinishedEvent(runId, workflow, status, meta);
  }

  private runFinishedEvent(runId: string, workflow: string, status: string, meta: Record<string, string>): RunEvent {
    return this.o.events.make(
      runId,
      workflow,
      status === 'succeeded' ? 'run-succeeded' : 'run-failed',
      meta['error'] ? { error: meta['error'] } : {},
    );
  }

  /** For a settlement seen again: the events it caused, in case the first time crashed before publishing them. */
  private repeatTerminalEvents(s: Settlement, r: SettleResult, events: RunEvent[]): Array<Promise<RunEvent>> {
    const { runId, taskId, attempt } = s.input;
    if (r.currentAttempt === attempt && (r.taskStatus === 'succeeded' || r.taskStatus === 'failed')) {
      events.push(
        this.o.events.make(runId, s.workflow, r.taskStatus === 'succeeded' ? 'task-succeeded' : 'task-failed', {
          taskId,
          attempt,
          ...(s.ack ? { runnerId: s.ack.runnerId } : {}),
        }),
      );
    }
    if (r.runStatus !== 'succeeded' && r.runStatus !== 'failed') return [];
    return [this.o.store.meta(runId).then((meta) => this.runFinishedEvent(runId, s.workflow, r.runStatus, meta))];
  }
}
