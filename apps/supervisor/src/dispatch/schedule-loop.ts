import type { Logger } from '@mesh/logging';
import type { SupervisorMetrics } from '@mesh/metrics-schema';
import { sleep } from '@mesh/mesh-protocol';
import type { RunState } from '@mesh/run-state';
import type { Coordinator, Dispatchable } from '../runs/coordinator';
import { parseMember, type Schedule, type ScheduleEntry } from './schedule';

export interface ScheduleLoopOptions {
  readonly schedule: Schedule;
  readonly state: RunState;
  readonly coordinator: Coordinator;
  readonly metrics: Pick<SupervisorMetrics, 'pendingQueueDepth'>;
  readonly logger: Logger;
  /** Entries claimed per round. */
  readonly batchSize: number;
  /** How long a claimed entry is ours before another supervisor may take it. */
  readonly leaseMs: number;
  /** How long to wait for due entries when there were none. */
  readonly pollMs: number;
  readonly now: () => number;
}

/**
 * Publishes scheduled attempts when they are due (retries after their backoff, tasks that waited for a
 * runner), and keeps `supervisor_pending_queue_depth`: ready work not yet with the publisher, that is due
 * schedule entries and tasks waiting for a runner.
 */
export class ScheduleLoop {
  private readonly stopping = new AbortController();
  private wakeUp: (() => void) | undefined;
  private loop: Promise<void> | undefined;

  constructor(private readonly o: ScheduleLoopOptions) {}

  start(): void {
    this.loop = this.run();
  }

  /** Something was scheduled: look now instead of at the next poll. */
  wake(): void {
    this.wakeUp?.();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    this.wake();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopping.signal.aborted) {
      let claimed = 0;
      try {
        claimed = await this.round();
      } catch (err) {
        this.o.logger.warn({ err }, 'a schedule round failed; retrying');
        await sleep(this.o.pollMs * 10, this.stopping.signal);
      }
      if (claimed < this.o.batchSize) await this.pause();
    }
  }

  private pause(): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(done, this.o.pollMs);
      this.wakeUp = done;
    });
  }

  private async round(): Promise<number> {
    const now = this.o.now();
    const members = await this.o.schedule.claim(now, this.o.batchSize, this.o.leaseMs);
    if (members.length > 0) {
      const entries: Array<{ member: string; entry: ScheduleEntry }> = [];
      for (const member of members) {
        const entry = parseMember(member);
        if (entry) entries.push({ member, entry });
      }
      const loaded = await this.o.state.load(entries.map((e) => e.entry));
      const queued: Dispatchable[] = [];
      loaded.forEach((l, i) => {
        if (l)
          queued.push({ runId: (entries[i] as { entry: ScheduleEntry }).entry.runId, route: l.route, task: l.task });
      });
      const { deferred } = await this.o.coordinator.advance({ queued });
      // Handled, gone or not ours to read: removed. Deferred again: kept with its new due time.
      await this.o.schedule.remove(members.filter((m) => !deferred.has(m)));
    }
    this.o.metrics.pendingQueueDepth.set(
      (await this.o.schedule.due(this.o.now())) + this.o.coordinator.waitingForRunner,
    );
    return members.length;
  }
}
