import type { Logger } from '@mesh/logging';
import type { SupervisorMetrics } from '@mesh/metrics-schema';
import { backoffDelay, describeRequirements, type Ack, type Assignment, type MeshKeys } from '@mesh/mesh-protocol';
import type { QueuedTask, RunRoute, RunState, SettleInput, SettleResult } from '@mesh/run-state';
import type { PublishItem, Publisher } from '../dispatch/publisher';
import type { RunnerDirectory } from '../dispatch/runner-directory';
import { memberOf, type Schedule } from '../dispatch/schedule';
import type { EventBatch, RunEvents } from '../events/run-events';

/** An outcome of a task attempt and where it came from: a runner's ack, or this supervisor. */
export interface Settlement {
  readonly input: SettleInput;
  readonly ack?: Ack;
}

/** A queued task attempt to publish, with the route of its run. */
export interface Dispatchable {
  readonly runId: string;
  readonly route: RunRoute;
  readonly task: QueuedTask;
}

export interface CoordinatorOptions {
  readonly state: RunState;
  readonly schedule: Schedule;
  readonly events: RunEvents;
  readonly publisher: Publisher;
  readonly directory: RunnerDirectory;
  readonly keys: MeshKeys;
  readonly metrics: SupervisorMetrics;
  readonly logger: Logger;
  /** Backoff before a failed task's next attempt. */
  readonly taskRetryBaseMs: number;
  readonly taskRetryCapMs: number;
  /** A task with no live runner for its domain fails after waiting this long. */
  readonly dispatchDeadlineMs: number;
  /** The lease each assignment announces (leaseMs). */
  readonly leaseMs: number;
  readonly missingRecheckBaseMs: number;
  readonly missingRecheckCapMs: number;
  readonly now: () => number;
  readonly random?: () => number;
  /** Called when something was scheduled (the schedule loop looks sooner). */
  readonly onScheduled: () => void;
}

/**
 * Carries run changes through: applies attempt outcomes to run state (one script call per run per batch),
 * publishes the assignments of the tasks they queued, schedules what must wait (a retry's backoff, a domain
 * without runners), counts the metrics and publishes at most one event per run. Everything is durable before
 * advance() resolves, so the caller may then ack the entries it read; if it dies first, the entries are read
 * again as a replay and the same work is derived again.
 */
export class Coordinator {
  /** Attempts this supervisor holds back because their domain has no live runner: since when, and how often. */
  private readonly missing = new Map<string, { at: number; misses: number }>();

  constructor(private readonly o: CoordinatorOptions) {}

  /** The schedule members of the attempts this supervisor holds back for a runner of their domain. */
  heldBack(): string[] {
    return [...this.missing.keys()];
  }

  /** Forgets held-back attempts that are gone from the schedule: published or failed meanwhile, maybe elsewhere. */
  forget(members: Iterable<string>): void {
    for (const member of members) this.missing.delete(member);
  }

  /** Applies `settlements` and publishes `queued`, and whatever follows; returns the schedule members it deferred. */
  async advance(work: {
    settlements?: readonly Settlement[];
    queued?: readonly Dispatchable[];
    events?: EventBatch;
  }): Promise<{ deferred: ReadonlySet<string> }> {
    let events = work.events ?? this.o.events.batch();
    const deferred = new Set<string>();
    let settlements = work.settlements ?? [];
    let queued = [...(work.queued ?? [])];
    // Each round ends tasks for good or defers them, so this ends.
    while (settlements.length > 0 || queued.length > 0) {
      if (settlements.length > 0) queued = queued.concat(await this.apply(settlements, events));
      const plan = await this.plan(queued, events);
      for (const member of plan.deferred) deferred.add(member);
      // The run's changes go on the feed before the assignments they lead to, so a reader never sees a
      // task finish before it was dispatched (one entry per run per round).
      await this.o.events.publish(events);
      events = this.o.events.batch();
      settlements = [...plan.failed, ...(await this.publish(plan.items))];
      queued = [];
    }
    await this.o.events.publish(events);
    return { deferred };
  }

  private async apply(settlements: readonly Settlement[], events: EventBatch): Promise<Dispatchable[]> {
    // A failure that may be keepRetry gets its next attempt's schedule entry before the settle that decides it:
    // if this supervisor dies after settling, the entry is there (one that turns out not needed is dropped).
    const now0 = this.o.now();
    const maybeRetries = settlements
      .filter((s) => !s.input.success && s.input.allowRetry)
      .map((s) => {
        const { runId, taskId, attempt } = s.input;
        const delay = backoffDelay(attempt - 1, this.o.taskRetryBaseMs, this.o.taskRetryCapMs, this.o.random);
        return {
          key: `${runId}|${taskId}|${attempt}`,
          member: memberOf({ runId, taskId, attempt: attempt + 1 }),
          at: now0 + delay,
        };
      });
    await this.o.schedule.add(maybeRetries);
    await this.o.directory.fresh();
    const results = await this.o.state.settle(
      settlements.map((s) => s.input),
      (runnerId) => this.o.directory.hardwareOfRunner(runnerId),
    );
    const queued: Dispatchable[] = [];
    const keepRetry = new Set<string>();
    settlements.forEach((s, i) => {
      const r = results[i] as SettleResult;
      const { runId, taskId, attempt } = s.input;
      const workflow = r.route.workflow || s.ack?.workflow || '';
      queued.push(...r.queued.map((task) => ({ runId, route: r.route, task })));
      // A duplicate may be a replay whose first reading scheduled this retry: its entry stays (stale ones are dropped).
      if (r.outcome === 'duplicate') keepRetry.add(`${runId}|${taskId}|${attempt}`);
      if (r.outcome === 'duplicate' || r.outcome === 'unknown') {
        // The ack of an attempt its run's cancel ended (aborted, or never started) is expected, not a duplicate.
        if (s.ack && !s.input.replay && r.runStatus !== 'cancelled') this.o.metrics.duplicateAcks.inc();
        if (s.input.replay && r.outcome === 'duplicate') this.repeatEvents(s, r, workflow, events);
        return;
      }
      if (s.ack) {
        const worker = s.ack.runnerId;
        this.o.metrics.workerLatencySeconds.inc({ worker }, s.ack.latencyMs / 1000);
        this.o.metrics.workerLatencySamples.inc({ worker });
        if (!s.ack.success) this.o.metrics.workerTaskFailures.inc({ worker });
      }
      const change = {
        taskId,
        attempt,
        ...(s.input.runnerId ? { runnerId: s.input.runnerId } : {}),
        ...(!s.input.success && s.input.error ? { error: s.input.error } : {}),
      };
      if (r.outcome === 'retry') {
        events.add(runId, workflow, 'task-retrying', change);
        keepRetry.add(`${runId}|${taskId}|${attempt}`);
        return;
      }
      events.add(runId, workflow, s.input.success ? 'task-succeeded' : 'task-failed', change);
      for (const skipped of r.skipped)
        events.add(runId, workflow, 'task-skipped', { taskId: skipped, error: `dependency ${taskId} failed` });
      if (r.finishedRun) this.finished(runId, workflow, r, events);
    });
    await this.o.schedule.remove(maybeRetries.filter((m) => !keepRetry.has(m.key)).map((m) => m.member));
    if (maybeRetries.length > 0) this.o.onScheduled();
    return queued;
  }

  /**
   * For an outcome read again after a supervisor died before acking it: the events it caused, since that
   * supervisor may have died before publishing them (readers see them at least once). Metrics are not
   * counted again.
   */
  private repeatEvents(s: Settlement, r: SettleResult, workflow: string, events: EventBatch): void {
    const { runId, taskId, attempt } = s.input;
    if (r.currentAttempt === attempt && (r.taskStatus === 'succeeded' || r.taskStatus === 'failed'))
      events.add(runId, workflow, r.taskStatus === 'succeeded' ? 'task-succeeded' : 'task-failed', {
        taskId,
        attempt,
        ...(s.input.runnerId ? { runnerId: s.input.runnerId } : {}),
      });
    if (r.runStatus === 'succeeded' || r.runStatus === 'failed')
      events.add(
        runId,
        workflow,
        r.runStatus === 'succeeded' ? 'run-succeeded' : 'run-failed',
        r.runError ? { error: r.runError } : {},
      );
  }

  /** A run of `workflow` started: its run-end series start at 0, so rate() sees the first run that ends. */
  runStarted(workflow: string): void {
    this.o.metrics.workflowEvents.zero({ workflow, outcome: 'success' });
    this.o.metrics.workflowEvents.zero({ workflow, outcome: 'failure' });
    this.o.metrics.workflowLatencySeconds.zero({ workflow });
    this.o.metrics.workflowLatencySamples.zero({ workflow });
  }

  /**
   * Ends runs whose submission went past its delivery limit (see RunState.abandon): each task not started yet
   * fails with `reason`, and a run left with nothing running ends failed, counted like any finished run. Called
   * again (a replay), it changes nothing and repeats the run's end event.
   */
  async abandon(runs: ReadonlyArray<{ runId: string; workflow: string; reason: string }>): Promise<void> {
    const events = this.o.events.batch();
    for (const { runId, workflow: named, reason } of runs) {
      const r = await this.o.state.abandon(runId, reason);
      const workflow = r.workflow || named;
      this.o.logger.warn({ runId, workflow, outcome: r.outcome, tasks: r.failed.length, reason }, 'run abandoned');
      for (const taskId of r.failed) events.add(runId, workflow, 'task-failed', { taskId, error: reason });
      if (r.outcome === 'ended') this.finished(runId, workflow, r, events);
      else if (r.runStatus === 'failed' || r.runStatus === 'succeeded')
        events.add(
          runId,
          workflow,
          r.runStatus === 'succeeded' ? 'run-succeeded' : 'run-failed',
          r.runError ? { error: r.runError } : {},
        );
    }
    await this.o.events.publish(events);
  }

  /** Counts a finished run in the workflow metrics and adds its run-succeeded / run-failed event. */
  private finished(
    runId: string,
    workflow: string,
    r: Pick<SettleResult, 'runStatus' | 'submittedAt' | 'runError'>,
    events: EventBatch,
  ): void {
    const outcome = r.runStatus === 'succeeded' ? 'success' : 'failure';
    const latencyMs = Math.max(0, this.o.now() - r.submittedAt);
    this.o.metrics.workflowEvents.inc({ workflow, outcome });
    this.o.metrics.workflowLatencySeconds.inc({ workflow }, latencyMs / 1000);
    this.o.metrics.workflowLatencySamples.inc({ workflow });
    this.o.logger.info({ runId, workflow, status: r.runStatus, latencyMs }, 'run finished');
    events.add(
      runId,
      workflow,
      r.runStatus === 'succeeded' ? 'run-succeeded' : 'run-failed',
      r.runError ? { error: r.runError } : {},
    );
  }

  /**
   * Publishes the assignments of queued attempts whose domain has a live runner; defers the others
   * (counted `missing` once per attempt) until a runner comes or the dispatch deadline fails them.
   * Returns the outcomes to settle: attempts past the deadline and publishes given up.
   */
  private async plan(
    queued: readonly Dispatchable[],
    events: EventBatch,
  ): Promise<{ failed: Settlement[]; deferred: string[]; items: Array<PublishItem & { d: Dispatchable }> }> {
    const failed: Settlement[] = [];
    const items: Array<PublishItem & { d: Dispatchable }> = [];
    const waiting: Array<{ d: Dispatchable; member: string }> = [];
    const now = this.o.now();
    this.forgetStaleMisses(now);
    const chosen: Array<{ runId: string; taskId: string; attempt: number; domain: string }> = [];
    for (const queuedTask of queued) {
      const { taskId, attempt } = queuedTask.task;
      const member = memberOf({ runId: queuedTask.runId, taskId, attempt });
      const target = await this.targetOf(queuedTask);
      if (target === undefined || !(await this.o.directory.hasLiveRunner(target))) {
        waiting.push({ d: queuedTask, member });
        continue;
      }
      const d =
        target === queuedTask.route.domain
          ? queuedTask
          : { ...queuedTask, route: { ...queuedTask.route, domain: target } };
      const domain = target;
      if (queuedTask.task.spec.requires) chosen.push({ runId: d.runId, taskId, attempt, domain });
      this.missing.delete(member);
      items.push({
        stream: this.o.keys.assignments(domain),
        assignment: assignmentOf(d, now, this.o.leaseMs),
        route: d.route.route,
        d,
      });
      events.add(d.runId, d.route.workflow, 'task-dispatched', { taskId, attempt, domain });
    }
    // The domain chosen for tasks routed by what they require goes into their records.
    // Only shown in records, so never in the way of dispatching: a failure is logged.
    if (chosen.length > 0)
      await this.o.state
        .route(chosen)
        .catch((err: unknown) =>
          this.o.logger.warn({ err, tasks: chosen.length }, 'could not record the domains chosen by requires'),
        );
    const later = waiting.length > 0 ? await this.wait(waiting, now, failed) : [];
    return { failed, deferred: later, items };
  }

  /**
   * Where a queued attempt goes: the domain its task names, else a domain whose live runners have the hardware
   * it requires (undefined while none has), else its run's route (the tenant's override or the default).
   */
  private async targetOf(d: Dispatchable): Promise<string | undefined> {
    const { domain, requires } = d.task.spec;
    if (domain !== undefined) return domain;
    if (requires !== undefined) return this.o.directory.domainFor(requires, d.route.domain);
    return d.route.domain;
  }

  /**
   * Holds back attempts whose domain has no live runner. When each wait started is kept in the run state: the
   * first supervisor to find no runner starts it and counts `missing`, once per attempt whichever supervisor
   * checks again, and the dispatch deadline runs from there. An attempt past it is failed (added to `failed`);
   * the others are re-checked later, with backoff, through the schedule. Returns the members deferred.
   */
  private async wait(
    waiting: ReadonlyArray<{ d: Dispatchable; member: string }>,
    now: number,
    failed: Settlement[],
  ): Promise<string[]> {
    const waits = await this.o.state.wait(
      waiting.map(({ d }) => ({ runId: d.runId, taskId: d.task.taskId, attempt: d.task.attempt })),
    );
    const later: Array<{ member: string; at: number }> = [];
    let started = 0;
    waiting.forEach(({ d, member }, i) => {
      const w = waits[i];
      // No longer waiting to be published (picked up, ended or superseded meanwhile): nothing to do.
      if (!w) return void this.missing.delete(member);
      if (w.started) started++;
      if (now - w.since >= this.o.dispatchDeadlineMs) {
        this.missing.delete(member);
        this.o.directory.invalidate();
        const { domain, requires } = d.task.spec;
        const where = requires
          ? `has what the task requires (${describeRequirements(requires)})`
          : `in domain ${domain ?? d.route.domain}`;
        const error = `no live runner ${where} within ${this.o.dispatchDeadlineMs} ms`;
        failed.push(this.failure(d, error, false));
        return;
      }
      const misses = (this.missing.get(member)?.misses ?? 0) + 1;
      const wait = backoffDelay(misses, this.o.missingRecheckBaseMs, this.o.missingRecheckCapMs, this.o.random);
      later.push({ member, at: now + Math.max(1, wait) });
    });
    if (started > 0) this.o.metrics.meshDispatch.inc({ status: 'missing' }, started);
    await this.o.schedule.add(later);
    // Held in memory only once its schedule entry is written: a failed write leaves nothing behind.
    for (const { member } of later) {
      const miss = this.missing.get(member);
      if (miss) miss.misses++;
      else this.missing.set(member, { at: now, misses: 1 });
    }
    if (later.length > 0) this.o.onScheduled();
    return later.map((l) => l.member);
  }

  /** Forgets attempts held back long ago: another supervisor published or failed them meanwhile. */
  private forgetStaleMisses(now: number): void {
    const horizon = this.o.dispatchDeadlineMs + 4 * this.o.missingRecheckCapMs;
    for (const [member, miss] of this.missing) if (now - miss.at > horizon) this.missing.delete(member);
  }

  /**
   * Publishes the planned assignments; returns the outcomes to settle for publishes given up (the task's
   * retries apply). A task with queueTimeoutMs gets its queue deadline in the schedule.
   */
  private async publish(items: Array<PublishItem & { d: Dispatchable }>): Promise<Settlement[]> {
    if (items.length === 0) return [];
    const failed: Settlement[] = [];
    const now = this.o.now();
    const outcomes = await this.o.publisher.publish(items);
    const deadlines: Array<{ member: string; at: number }> = [];
    items.forEach((item, i) => {
      const outcome = outcomes[i];
      const { runId, route, task } = item.d;
      if (outcome?.ok) {
        this.o.metrics.routedAssignments.inc({
          domain: route.domain,
          route: item.route === 'override' ? 'override' : 'default',
        });
        // Only tasks that ask for it get a schedule entry: waiting never fails a task by itself.
        const limit = task.spec.queueTimeoutMs;
        if (limit !== undefined)
          deadlines.push({
            member: memberOf({
              kind: 'queue',
              runId,
              taskId: task.taskId,
              attempt: task.attempt,
              domain: route.domain,
              entryId: outcome.entryId,
            }),
            at: now + limit,
          });
      } else if (outcome) {
        this.o.logger.error(
          { err: outcome.error, runId, taskId: task.taskId, domain: route.domain, tries: outcome.tries },
          'giving up publishing an assignment',
        );
        const error = `could not publish the assignment after ${outcome.tries} attempts: ${outcome.error.message}`;
        failed.push(this.failure(item.d, error, true));
      }
    });
    await this.o.schedule.add(deadlines);
    return failed;
  }

  private failure(d: Dispatchable, error: string, allowRetry: boolean): Settlement {
    return {
      input: { runId: d.runId, taskId: d.task.taskId, attempt: d.task.attempt, success: false, allowRetry, error },
    };
  }
}

function assignmentOf(d: Dispatchable, now: number, leaseMs: number): Assignment {
  const { task, route } = d;
  return {
    assignmentId: `${d.runId}:${task.taskId}:${task.attempt}`,
    runId: d.runId,
    workflow: route.workflow,
    taskId: task.taskId,
    tenant: route.tenant,
    domain: route.domain,
    kind: task.spec.kind,
    payload: task.spec.payload,
    attempt: task.attempt,
    timeoutMs: task.spec.timeoutMs,
    enqueuedAt: now,
    ...(task.inputs ? { inputs: task.inputs } : {}),
    leaseMs,
  };
}
