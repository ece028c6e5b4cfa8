import type { Logger } from '@mesh/logging';
import type { SupervisorMetrics } from '@mesh/metrics-schema';
import { backoffDelay, sleep, type Assignment, type MeshKeys, type RunEvent } from '@mesh/mesh-protocol';
import type { Coordinator } from '../state/coordinator';
import type { RunStore } from '../state/run-store';
import type { RunEvents } from '../events/run-events';
import type { PublishItem, PublishPool } from './publish-pool';
import type { RunnerDirectory } from './runner-directory';
import { memberOf, type Schedule, type ScheduleEntry } from './schedule';

export interface DispatcherOptions {
  readonly keys: MeshKeys;
  readonly store: RunStore;
  readonly schedule: Schedule;
  readonly coordinator: Coordinator;
  readonly events: RunEvents;
  readonly directory: RunnerDirectory;
  readonly metrics: SupervisorMetrics;
  readonly logger: Logger;
  /** Entries claimed per round. */
  readonly batchSize: number;
  /** How long a claimed entry is ours before another supervisor may take it. */
  readonly leaseMs: number;
  /** How long to wait for due entries when there were none. */
  readonly pollMs: number;
  /** A task with no live runner for its domain fails after waiting this long. */
  readonly dispatchDeadlineMs: number;
  readonly missingRecheckBaseMs: number;
  readonly missingRecheckCapMs: number;
  /** An attempt not acked within its timeoutMs plus this grace is failed (and retried if it may). */
  readonly ackGraceMs: number;
  readonly now: () => number;
  readonly random?: () => number;
}

type Claimed = { member: string; entry: ScheduleEntry };

/**
 * Turns due schedule entries into work: dispatch entries become assignments handed to the publish
 * pool (or wait, counted as `missing`, while their domain has no live runner); watch entries fail
 * attempts that were never acked in time. `supervisor_pending_queue_depth` counts ready work not yet
 * with the publish pool: schedule entries already due, and tasks this supervisor holds back because
 * their domain has no live runner.
 */
export class Dispatcher {
  private readonly stopping = new AbortController();
  private wakeUp: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private pool!: PublishPool;
  /** Dispatch entries handed to the publish pool and not yet settled there (not claimed twice). */
  private readonly held = new Map<string, Claimed>();
  private readonly firstMissing = new Map<string, { at: number; misses: number }>();

  constructor(private readonly o: DispatcherOptions) {}

  /** Connects the pool (they refer to each other: the pool reports back here). */
  attach(pool: PublishPool): void {
    this.pool = pool;
  }

  start(): void {
    this.loop = this.run();
  }

  /** Something became due: look now instead of at the next poll. */
  wake(): void {
    this.wakeUp?.();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    this.wake();
    await this.loop;
  }

  /** Publishes that went out: mark them dispatched, arm their ack deadline, tell the orchestrator. */
  async published(items: PublishItem[]): Promise<void> {
    const now = this.o.now();
    const marks = await this.o.store.markDispatched(items.map((i) => i.assignment));
    const events: RunEvent[] = [];
    const watches: Array<{ entry: ScheduleEntry; at: number }> = [];
    const done: string[] = [];
    items.forEach((item, i) => {
      const a = item.assignment;
      const member = memberOf({ kind: 'dispatch', runId: a.runId, taskId: a.taskId, attempt: a.attempt });
      done.push(member);
      this.release(member);
      if (!marks[i]) return;
      this.o.metrics.routedAssignments.inc({ domain: a.domain, route: item.route });
      events.push(
        this.o.events.make(a.runId, a.workflow, 'task-dispatched', {
          taskId: a.taskId,
          attempt: a.attempt,
          domain: a.domain,
        }),
      );
      watches.push({
        entry: { kind: 'watch', runId: a.runId, taskId: a.taskId, attempt: a.attempt },
        at: now + a.timeoutMs + this.o.ackGraceMs,
      });
    });
    await this.o.events.publish(events);
    await this.o.schedule.add(watches);
    await this.o.schedule.remove(done);
  }

  /** A publish the pool gave up on: the task fails for good (retrying the same XADD will not help). */
  async gaveUp(item: PublishItem, err: Error): Promise<void> {
    const a = item.assignment;
    this.release(memberOf({ kind: 'dispatch', runId: a.runId, taskId: a.taskId, attempt: a.attempt }));
    this.o.logger.error(
      { err, runId: a.runId, taskId: a.taskId, domain: a.domain, tries: item.tries },
      'giving up publishing an assignment',
    );
    await this.o.coordinator.settle([
      {
        workflow: a.workflow,
        input: {
          runId: a.runId,
          taskId: a.taskId,
          attempt: a.attempt,
          success: false,
          allowRetry: false,
          error: `could not publish the assignment after ${item.tries} attempts: ${err.message}`,
        },
      },
    ]);
    await this.o.schedule.remove([
      memberOf({ kind: 'dispatch', runId: a.runId, taskId: a.taskId, attempt: a.attempt }),
    ]);
  }

  private async run(): Promise<void> {
    while (!this.stopping.signal.aborted) {
      let claimed = 0;
      try {
        claimed = await this.round();
      } catch (err) {
        this.o.logger.warn({ err }, 'dispatch round failed; retrying');
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
    const room = Math.max(0, this.o.batchSize - this.held.size);
    if (room === 0) return 0;
    const claimed = await this.o.schedule.claim(now, room, this.o.leaseMs);
    const stale: string[] = [];
    const dispatches: Claimed[] = [];
    const watches: Claimed[] = [];
    for (const c of claimed) {
      if (!c.entry) stale.push(c.member);
      else if (c.entry.kind === 'watch') watches.push(c as Claimed);
      else if (!this.held.has(c.member)) dispatches.push(c as Claimed);
    }
    await this.o.schedule.remove(stale);
    if (watches.length > 0) await this.expire(watches);
    if (dispatches.length > 0) await this.dispatch(dispatches, now);
    // Ready work not yet with the publish pool: due entries, and tasks waiting for a runner.
    this.o.metrics.pendingQueueDepth.set((await this.o.schedule.due(this.o.now())) + this.firstMissing.size);
    return claimed.length;
  }

  /** Attempts whose ack deadline passed: fail them (retried if the task allows). */
  private async expire(watches: Claimed[]): Promise<void> {
    const loaded = await this.o.store.loadForDispatch(watches.map((w) => w.entry));
    const settlements = watches.flatMap((w, i) => {
      const l = loaded[i];
      if (!l || l.status !== 'dispatched') return [];
      this.o.logger.warn(
        { runId: w.entry.runId, taskId: w.entry.taskId, attempt: w.entry.attempt },
        'no ack before the deadline; failing the attempt',
      );
      return [
        {
          workflow: l.meta.workflow,
          input: {
            ...w.entry,
            success: false,
            allowRetry: true,
            error: `no ack within ${l.spec.timeoutMs + this.o.ackGraceMs} ms`,
          },
        },
      ];
    });
    await this.o.coordinator.settle(settlements);
    await this.o.schedule.remove(watches.map((w) => w.member));
  }

  private async dispatch(claimed: Claimed[], now: number): Promise<void> {
    const loaded = await this.o.store.loadForDispatch(claimed.map((c) => c.entry));
    const drop: string[] = [];
    const items: PublishItem[] = [];
    const expired: Array<{ c: Claimed; workflow: string; domain: string }> = [];
    const later: Array<{ entry: ScheduleEntry; at: number }> = [];
    for (let i = 0; i < claimed.length; i++) {
      const c = claimed[i] as Claimed;
      const l = loaded[i];
      // Gone, finished, already dispatched or superseded by a later attempt: nothing to do.
      if (!l || l.meta.status !== 'running' || l.status !== 'ready') {
        drop.push(c.member);
        continue;
      }
      const domain = l.meta.domain;
      if (!(await this.o.directory.hasLiveRunner(domain))) {
        this.o.metrics.meshDispatch.inc({ status: 'missing' });
        const miss = this.firstMissing.get(c.member) ?? { at: now, misses: 0 };
        miss.misses++;
        this.firstMissing.set(c.member, miss);
        if (now - miss.at >= this.o.dispatchDeadlineMs) {
          expired.push({ c, workflow: l.meta.workflow, domain });
        } else {
          later.push({
            entry: c.entry,
            at:
              now +
              Math.max(
                1,
                backoffDelay(miss.misses, this.o.missingRecheckBaseMs, this.o.missingRecheckCapMs, this.o.random),
              ),
          });
        }
        continue;
      }
      this.firstMissing.delete(c.member);
      const assignment: Assignment = {
        assignmentId: `${c.entry.runId}:${c.entry.taskId}:${c.entry.attempt}`,
        runId: c.entry.runId,
        workflow: l.meta.workflow,
        taskId: c.entry.taskId,
        tenant: l.meta.tenant,
        domain,
        kind: l.spec.kind,
        payload: l.spec.payload,
        attempt: c.entry.attempt,
        timeoutMs: l.spec.timeoutMs,
        enqueuedAt: now,
      };
      const item: PublishItem = { stream: this.o.keys.assignments(domain), assignment, route: l.meta.route, tries: 0 };
      this.held.set(c.member, c);
      items.push(item);
    }
    await this.o.schedule.remove(drop);
    await this.o.schedule.add(later);
    if (expired.length > 0) {
      this.o.directory.invalidate();
      await this.o.coordinator.settle(
        expired.map(({ c, workflow, domain }) => ({
          workflow,
          input: {
            ...c.entry,
            success: false,
            allowRetry: false,
            error: `no live runner in domain ${domain} within ${this.o.dispatchDeadlineMs} ms`,
          },
        })),
      );
      for (const { c } of expired) this.firstMissing.delete(c.member);
      await this.o.schedule.remove(expired.map(({ c }) => c.member));
    }
    if (items.length > 0) this.pool.submit(items);
  }

  private release(member: string): void {
    this.held.delete(member);
  }
}
