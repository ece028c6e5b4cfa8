import { setMaxListeners } from 'node:events';
import type { Logger } from '@mesh/logging';
import { OVERFLOW_LABEL_VALUE, type EnvRunnerMetrics } from '@mesh/metrics-schema';
import { sleep, type Assignment, type ConsumedEntry, type RedisStreamConsumer } from '@mesh/mesh-protocol';
import type { ReportWriter } from './report-writer';
import { CancelledError, type Executor, type FailureReason } from './executor';

export interface AssignmentRunnerOptions {
  readonly consumer: RedisStreamConsumer<'assignment'>;
  readonly executor: Executor;
  readonly acks: ReportWriter;
  readonly metrics: EnvRunnerMetrics;
  readonly logger: Logger;
  readonly runnerId: string;
  /** Assignments executed at once. */
  readonly concurrency: number;
  /** How often to look for entries abandoned by dead peers, in ms. */
  readonly reclaimIntervalMs: number;
  /** How often to renew the leases of the entries being executed, in ms (a fraction of the lease). */
  readonly renewIntervalMs: number;
  readonly maxDeliveries: number;
  /** The kinds this runner executes: metric labels name these, any other kind is counted as `_other`. */
  readonly kinds: readonly string[];
  /**
   * The status of runs, by id: assignments of a cancelled run are acked `cancelled` without running, and
   * running ones are aborted when a lease renewal finds their run cancelled. Absent: never checked.
   */
  readonly runStatuses?: (runIds: readonly string[]) => Promise<Map<string, string>>;
  readonly now?: () => number;
}

/** How many recently cancelled runs a runner remembers, for assignments read while a cancel arrives. */
const RECENT_CANCELS = 1000;

/** Pause after an unexpected failure in a loop, so a persistent fault cannot spin. */
const LOOP_FAILURE_PAUSE_MS = 200;

/**
 * Reads assignments of one domain, runs up to `concurrency` at once, and hands each outcome to the
 * ack writer (ack written, then XACK). Periodically reclaims entries left idle by crashed runners;
 * those past the delivery limit are acked as failed and dead-lettered.
 */
export class AssignmentRunner {
  private inFlightCount = 0;
  /** Entry ids being executed: their leases are renewed, and a reclaim never starts them twice. */
  private readonly running = new Set<string>();
  /** Runs cancelled lately (run id → when), oldest first, at most RECENT_CANCELS. */
  private readonly recentlyCancelled = new Map<string, number>();
  /** Each entry being executed: its run, and the controller that aborts it (its run cancelled, or shutdown). */
  private readonly attempts = new Map<string, { runId: string; abort: AbortController }>();
  private slotWaiters: Array<() => void> = [];
  private readonly stopReading = new AbortController();
  private readonly abandon = new AbortController();
  private readonly renewStop = new AbortController();
  private renewing: Promise<void> = Promise.resolve();
  private readonly loops: Promise<void>[] = [];
  private readonly idle: Array<() => void> = [];
  private readonly kinds: ReadonlySet<string>;

  constructor(private readonly o: AssignmentRunnerOptions) {
    // Every assignment in flight listens on this signal: as many listeners as the concurrency allows.
    setMaxListeners(0, this.abandon.signal);
    this.kinds = new Set(o.kinds);
  }

  get inFlight(): number {
    return this.inFlightCount;
  }

  get draining(): boolean {
    return this.stopReading.signal.aborted;
  }

  /**
   * Aborts the attempts of a cancelled run this runner is executing: each handler's signal aborts and the
   * attempt is acked `cancelled`. Returns how many it aborted.
   */
  cancelRun(runId: string): number {
    // Remembered a while: an assignment of it read at this moment (its status check already done) never starts.
    this.recentlyCancelled.set(runId, (this.o.now ?? Date.now)());
    if (this.recentlyCancelled.size > RECENT_CANCELS) {
      const oldest = this.recentlyCancelled.keys().next().value;
      if (oldest !== undefined) this.recentlyCancelled.delete(oldest);
    }
    let aborted = 0;
    for (const { runId: id, abort } of this.attempts.values()) {
      if (id !== runId || abort.signal.aborted) continue;
      abort.abort(new CancelledError());
      aborted++;
    }
    if (aborted > 0) this.o.logger.info({ runId, aborted }, 'run cancelled; its attempts here were aborted');
    return aborted;
  }

  start(): void {
    this.loops.push(this.readLoop(), this.reclaimLoop());
    this.renewing = this.renewLoop();
  }

  /**
   * Stops reading, waits up to `graceMs` for work in flight, and abandons what is left (it stays
   * pending, to be reclaimed by another runner). Resolves with how many finished and were abandoned.
   */
  async stop(graceMs: number): Promise<{ abandoned: number }> {
    this.stopReading.abort();
    this.o.consumer.close();
    await Promise.all(this.loops);
    const graceOver = new AbortController();
    const drained = await Promise.race([
      this.whenIdle().then(() => true),
      sleep(graceMs, graceOver.signal).then(() => false),
    ]);
    graceOver.abort();
    const abandoned = drained ? 0 : this.inFlightCount;
    if (!drained) this.abandon.abort(new Error('runner shutting down'));
    this.renewStop.abort();
    await this.renewing;
    return { abandoned };
  }

  private async readLoop(): Promise<void> {
    while (!this.draining) {
      await this.freeSlot();
      if (this.draining) break;
      try {
        const batch = await this.o.consumer.readBatch(this.o.concurrency - this.inFlightCount);
        const cancelled = await this.cancelledRuns(batch.map((e) => e.message.runId));
        for (const entry of batch) {
          if (cancelled.has(entry.message.runId)) this.skipCancelled(entry);
          else this.launch(entry);
        }
      } catch (err) {
        await this.survive(err, 'reading assignments');
      }
    }
  }

  /**
   * On every beat, renews the lease of each entry being executed, so no runner (this one included) takes a
   * long task away while it runs. Its own loop: a slow reclaim or give-up never delays a renewal. It goes on
   * while draining, for the tasks still finishing.
   */
  private async renewLoop(): Promise<void> {
    const stopped = this.renewStop.signal;
    const now = this.o.now ?? Date.now;
    // Fixed rate: a slow renewal (a loaded machine, a slow Redis) does not push the next one later.
    let next = now() + this.o.renewIntervalMs;
    while (!stopped.aborted) {
      await sleep(Math.max(0, next - now()), stopped);
      next = Math.max(next + this.o.renewIntervalMs, now());
      if (!stopped.aborted) await this.renewLeases();
    }
  }

  /** On every beat, reclaims entries whose lease lapsed (their runner died or stalled). */
  private async reclaimLoop(): Promise<void> {
    while (!this.draining) {
      await sleep(this.o.reclaimIntervalMs, this.stopReading.signal);
      if (this.draining) break;
      const room = this.o.concurrency - this.inFlightCount;
      if (room <= 0) continue;
      try {
        const reclaimed = await this.o.consumer.reclaim(room);
        const fresh = reclaimed.entries.filter((entry) => !this.running.has(entry.id));
        const cancelled = await this.cancelledRuns(fresh.map((e) => e.message.runId));
        for (const entry of fresh) {
          if (cancelled.has(entry.message.runId)) this.skipCancelled(entry);
          else this.launch(entry);
        }
        const exhausted = reclaimed.exhausted.filter((e) => !this.running.has(e.id));
        if (exhausted.length > 0) await this.giveUp(exhausted);
      } catch (err) {
        await this.survive(err, 'reclaiming assignments');
      }
    }
  }

  /**
   * The loops' last line of defence: nothing that happens to one entry or one Redis call may end the
   * process (its loops are not awaited until stop()). Logs, pauses briefly, and lets the loop go on.
   */
  private async survive(err: unknown, what: string): Promise<void> {
    this.o.logger.error({ err }, `${what} failed unexpectedly; going on`);
    await sleep(LOOP_FAILURE_PAUSE_MS, this.stopReading.signal);
  }

  /** The kind as a metric label: one of this runner's kinds, or `_other` (kinds come from messages). */
  private kindLabel(kind: string): string {
    return this.kinds.has(kind) ? kind : OVERFLOW_LABEL_VALUE;
  }

  private async renewLeases(): Promise<void> {
    if (this.running.size === 0) return;
    try {
      await this.o.consumer.renew([...this.running]);
    } catch (err) {
      this.o.logger.warn({ err, entries: this.running.size }, 'renewing leases failed; retrying on the next beat');
    }
    // A cancel whose message this runner missed (it was disconnected then) is found here.
    const runs = [...new Set([...this.attempts.values()].map((a) => a.runId))];
    for (const runId of await this.cancelledRuns(runs)) this.cancelRun(runId);
  }

  /** Which of these runs are cancelled; none when that cannot be read now (checked again on the next beat). */
  private async cancelledRuns(runIds: readonly string[]): Promise<Set<string>> {
    if (!this.o.runStatuses || runIds.length === 0) return new Set();
    try {
      const statuses = await this.o.runStatuses([...new Set(runIds)]);
      return new Set([...statuses].filter(([, status]) => status === 'cancelled').map(([runId]) => runId));
    } catch (err) {
      this.o.logger.warn({ err }, 'reading run statuses failed; cancels are checked again on the next lease renewal');
      return new Set();
    }
  }

  /** An assignment of a cancelled run: acked `cancelled` without running it. */
  private skipCancelled(entry: ConsumedEntry<Assignment>): void {
    const { ack, reason } = this.o.executor.cancelledBeforeStart(entry.message, (this.o.now ?? Date.now)());
    this.o.acks.push({ entryId: entry.id, ack });
    this.record(entry.message, false, 0, reason, entry.deliveries);
  }

  /** Acks as failed, then dead-letters, entries delivered too often (e.g. a task that keeps crashing runners). */
  private async giveUp(entries: ConsumedEntry<Assignment>[]): Promise<void> {
    const now = (this.o.now ?? Date.now)();
    for (const e of entries) {
      const error = `gave up after ${e.deliveries} deliveries (limit ${this.o.maxDeliveries})`;
      this.o.acks.push({
        entryId: e.id,
        ack: {
          assignmentId: e.message.assignmentId,
          runId: e.message.runId,
          workflow: e.message.workflow,
          taskId: e.message.taskId,
          attempt: e.message.attempt,
          runnerId: this.o.runnerId,
          success: false,
          latencyMs: 0,
          startedAt: now,
          finishedAt: now,
          error,
        },
      });
      this.o.metrics.assignmentsFailed.inc({ kind: this.kindLabel(e.message.kind), reason: 'delivery_limit' });
    }
    await this.o.acks.flush();
    try {
      await this.o.consumer.deadLetter(
        entries,
        'delivery_limit',
        (id) =>
          `delivered ${entries.find((e) => e.id === id)?.deliveries ?? '?'} times (limit ${this.o.maxDeliveries})`,
      );
    } catch (err) {
      this.o.logger.warn({ err }, 'dead-lettering failed; the entries stay pending and are retried');
    }
  }

  private launch(entry: ConsumedEntry<Assignment>): void {
    if (this.recentlyCancelled.has(entry.message.runId)) return this.skipCancelled(entry);
    const abort = new AbortController();
    const abandoned = (): void => abort.abort(this.abandon.signal.reason);
    this.abandon.signal.addEventListener('abort', abandoned, { once: true });
    this.attempts.set(entry.id, { runId: entry.message.runId, abort });
    this.running.add(entry.id);
    this.inFlightCount++;
    this.o.metrics.inFlight.set(this.inFlightCount);
    const a = entry.message;
    // Picked up: the supervisor marks the task running on this runner (batched with other reports).
    this.o.acks.started({
      assignmentId: a.assignmentId,
      runId: a.runId,
      workflow: a.workflow,
      taskId: a.taskId,
      attempt: a.attempt,
      startedAt: (this.o.now ?? Date.now)(),
    });
    // Safe to leave unawaited: the catch below handles every rejection and finally frees the slot.
    void this.o.executor
      .execute(a, abort.signal)
      .then(({ ack, reason }) => {
        // Given up at shutdown: no ack, the entry stays pending for another runner. A cancelled one is acked.
        if (abort.signal.aborted && !(abort.signal.reason instanceof CancelledError)) return;
        // The ack first: whatever happens while recording, the assignment is settled.
        this.o.acks.push({ entryId: entry.id, ack });
        this.record(a, ack.success, ack.latencyMs, reason, entry.deliveries);
      })
      .catch((err: unknown) =>
        // Not expected (execute() turns every failure into an ack): no ack, so the entry stays pending and is reclaimed.
        this.o.logger.error(
          { err, assignmentId: a.assignmentId, runId: a.runId, entryId: entry.id },
          'assignment failed outside its handler; it stays pending',
        ),
      )
      .finally(() => {
        this.abandon.signal.removeEventListener('abort', abandoned);
        this.attempts.delete(entry.id);
        this.running.delete(entry.id);
        this.inFlightCount--;
        this.o.metrics.inFlight.set(this.inFlightCount);
        this.slotWaiters.shift()?.();
        if (this.inFlightCount === 0) for (const resolve of this.idle.splice(0)) resolve();
      });
  }

  private record(
    a: Assignment,
    success: boolean,
    latencyMs: number,
    reason: FailureReason | undefined,
    deliveries: number,
  ): void {
    const kind = this.kindLabel(a.kind);
    this.o.metrics.assignmentsProcessed.inc({ kind });
    this.o.metrics.assignmentLatency.observe({ kind }, latencyMs / 1000);
    if (!success && reason) this.o.metrics.assignmentsFailed.inc({ kind, reason });
    this.o.logger.debug(
      {
        assignmentId: a.assignmentId,
        runId: a.runId,
        workflow: a.workflow,
        taskId: a.taskId,
        kind: a.kind,
        attempt: a.attempt,
        deliveries,
        success,
        latencyMs,
        ...(reason ? { reason } : {}),
      },
      'assignment done',
    );
  }

  private freeSlot(): Promise<void> {
    if (this.inFlightCount < this.o.concurrency || this.draining) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.stopReading.signal.removeEventListener('abort', done);
        resolve();
      };
      this.slotWaiters.push(done);
      this.stopReading.signal.addEventListener('abort', done, { once: true });
    });
  }

  private whenIdle(): Promise<void> {
    if (this.inFlightCount === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }
}
