import type { Logger } from '@mesh/logging';
import type { SupervisorMetrics } from '@mesh/metrics-schema';
import { sleep } from '@mesh/mesh-protocol';
import type { RunState } from '@mesh/run-state';
import type { Coordinator, Dispatchable, Settlement } from '../runs/coordinator';
import type { Progress } from '../health/progress';
import { parseMember, type Schedule, type ScheduleEntry } from './schedule';

/** What the loop needs of the coordinator: it hands over due attempts and expired deadlines. */
export type ScheduleCoordinator = Pick<Coordinator, 'advance' | 'heldBack' | 'forget'>;

export interface ScheduleLoopOptions {
  readonly schedule: Schedule;
  readonly state: RunState;
  readonly coordinator: ScheduleCoordinator;
  readonly metrics: Pick<SupervisorMetrics, 'pendingQueueDepth'>;
  /** Whether a runner took the assignment (domain, entry id) off its stream, even if its pickup is not applied yet. */
  readonly delivered: (domain: string, entryId: string) => Promise<boolean>;
  readonly logger: Logger;
  /** Told how each round went (`/readyz` says when rounds keep failing). */
  readonly progress?: Progress;
  /** Entries claimed per round. */
  readonly batchSize: number;
  /** How long a claimed entry is ours before another supervisor may take it. */
  readonly leaseMs: number;
  /** The shortest wait between rounds when nothing was due. */
  readonly pollMs: number;
  /**
   * The longest wait when nothing is due soon (default 1000 ms): entries this supervisor schedules wake it at
   * once; entries another supervisor schedules are seen within this.
   */
  readonly idleMs?: number;
  /**
   * How soon an early attempt is looked at again (default 100 ms): a retry the supervisor scheduled before
   * settling the failure that calls for it. Its settle follows within milliseconds, or, if that supervisor
   * died, once another takes over its unacked report.
   */
  readonly earlyRecheckMs?: number;
  /**
   * While draining (rounds that claim a full batch, back to back), supervisor_pending_queue_depth is measured at
   * most once per this (default 1000 ms): measuring counts every due entry (depth.lua), so once per round would
   * cost O(backlog) per batch. A round short of a full batch is always followed by a measure (little is due then).
   */
  readonly measureIntervalMs?: number;
  /** A monotonic clock in ms for measureIntervalMs (default performance.now); `now` may be set back or frozen. */
  readonly monotonic?: () => number;
  readonly now: () => number;
}

/**
 * Publishes scheduled attempts when they are due (retries after their backoff, tasks that waited for a
 * runner), fails attempts still not picked up at their queue deadline (queueTimeoutMs), and sets
 * `supervisor_pending_queue_depth`, exact when measured: ready work not yet with the publisher, that is due
 * dispatch entries and the tasks this supervisor holds back for a runner (see depth.lua). It is measured after
 * every round that claimed less than a full batch (failed rounds too), and while draining a backlog in full
 * batches at most once per measureIntervalMs, so that draining costs O(backlog) per interval, not per round.
 */
export class ScheduleLoop {
  private readonly stopping = new AbortController();
  private wakeUp: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  /** When the depth was last measured (monotonic ms), undefined before the first time. */
  private measuredAt: number | undefined;

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
        claimed = this.o.progress ? await this.o.progress.track('schedule', () => this.round()) : await this.round();
      } catch (err) {
        this.o.logger.warn({ err }, 'a schedule round failed; retrying');
        await sleep(this.o.pollMs * 10, this.stopping.signal);
      }
      const draining = claimed >= this.o.batchSize;
      if (!draining || this.measureDue()) await this.measure();
      if (!draining) await this.pause(await this.untilNextDue());
    }
  }

  /** How long to sleep: until the earliest entry is due, within [pollMs, idleMs]. */
  private async untilNextDue(): Promise<number> {
    const idle = this.o.idleMs ?? 1000;
    try {
      const next = await this.o.schedule.nextDue();
      const wait = next === undefined ? idle : next - this.o.now();
      return Math.min(idle, Math.max(this.o.pollMs, wait));
    } catch {
      return this.o.pollMs;
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
    });
  }

  private async round(): Promise<number> {
    const now = this.o.now();
    const members = await this.o.schedule.claim(now, this.o.batchSize, this.o.leaseMs);
    if (members.length > 0) {
      const entries: Array<ScheduleEntry & { member: string }> = [];
      for (const member of members) {
        const entry = parseMember(member);
        if (entry) entries.push({ ...entry, member });
      }
      const loaded = await this.o.state.load(entries);
      const queued: Dispatchable[] = [];
      const expired: Settlement[] = [];
      const early: Array<{ member: string; at: number }> = [];
      // A queue deadline holds only while no runner took the assignment: one taken is running (its pickup
      // may be on its way, or its worker reports none) and is left to its lease and timeout.
      const taken = await Promise.all(
        entries.map((e, i) =>
          e.kind === 'queue' && typeof loaded[i] === 'object' && e.domain && e.entryId
            ? this.o.delivered(e.domain, e.entryId)
            : Promise.resolve(false),
        ),
      );
      loaded.forEach((l, i) => {
        const entry = entries[i] as ScheduleEntry & { member: string };
        if (l === 'early') {
          if (entry.kind !== 'queue') early.push({ member: entry.member, at: now + (this.o.earlyRecheckMs ?? 100) });
          return;
        }
        if (!l || taken[i]) return; // gone, settled, picked up, taken or superseded: nothing to do
        if (entry.kind === 'queue') {
          const limit = l.task.spec.queueTimeoutMs ?? 0;
          expired.push({
            input: {
              runId: entry.runId,
              taskId: entry.taskId,
              attempt: entry.attempt,
              success: false,
              allowRetry: false,
              error: `not picked up by a runner within ${limit} ms (queueTimeoutMs)`,
            },
          });
        } else {
          queued.push({ runId: entry.runId, route: l.route, task: l.task });
        }
      });
      const { deferred } = await this.o.coordinator.advance({ queued, settlements: expired });
      // Early: looked at again soon. Deferred: kept with its new due time. Handled, gone or not ours: removed.
      await this.o.schedule.add(early);
      const kept = new Set([...deferred, ...early.map((e) => e.member)]);
      await this.o.schedule.remove(members.filter((m) => !kept.has(m)));
    }
    return members.length;
  }

  private monotonic(): number {
    return this.o.monotonic ? this.o.monotonic() : performance.now();
  }

  /** Whether measureIntervalMs passed since the last measure (or there was none). */
  private measureDue(): boolean {
    const at = this.monotonic();
    return this.measuredAt === undefined || at - this.measuredAt >= (this.o.measureIntervalMs ?? 1000);
  }

  /** Sets supervisor_pending_queue_depth, and forgets held-back attempts that left the schedule. */
  private async measure(): Promise<void> {
    this.measuredAt = this.monotonic();
    try {
      const { ready, gone } = await this.o.schedule.depth(this.o.now(), this.o.coordinator.heldBack());
      this.o.coordinator.forget(gone);
      this.o.metrics.pendingQueueDepth.set(ready);
    } catch (err) {
      this.o.logger.debug({ err }, 'cannot measure the pending queue depth; keeping the last value');
    }
  }
}
