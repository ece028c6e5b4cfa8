import type { Logger } from '@mesh/logging';
import {
  fieldMap,
  graphProblems,
  RUN_ID_PATTERN,
  type ConsumedEntry,
  type EntryFields,
  type RedisStreamConsumer,
  type RunEvent,
  type Submission,
} from '@mesh/mesh-protocol';
import type { Schedule, ScheduleEntry } from '../dispatch/schedule';
import type { RunEvents } from '../events/run-events';

import type { TenantRouter } from '../routing/tenant-router';
import type { RunStore } from '../state/run-store';

export interface SubmissionHandlerOptions {
  readonly consumer: RedisStreamConsumer<'submission'>;
  readonly store: RunStore;
  readonly schedule: Schedule;
  readonly events: RunEvents;
  readonly router: TenantRouter;
  readonly logger: Logger;
  readonly now: () => number;
  readonly onDue: () => void;
}

/**
 * Turns submissions into runs: the graph is checked first (a bad one ends as run-failed and a dead
 * letter), the run is stored with its routed domain, run-started is published and its root tasks are
 * scheduled; only then is the submission acked. Creating a run twice is harmless.
 */
export function createSubmissionHandler(
  o: SubmissionHandlerOptions,
): (entries: ConsumedEntry<Submission>[]) => Promise<void> {
  return async (entries) => {
    const events: RunEvent[] = [];
    const due: Array<{ entry: ScheduleEntry; at: number }> = [];
    const accepted: string[] = [];
    const rejected: Array<ConsumedEntry<Submission> & { detail: string }> = [];
    const now = o.now();

    await Promise.all(
      entries.map(async (e) => {
        const s = e.message;
        const problems = graphProblems(s.tasks);
        if (problems.length > 0) {
          const detail = `invalid submission: ${problems.join('; ')}`;
          rejected.push({ ...e, detail });
          events.push(o.events.make(s.runId, s.workflow, 'run-failed', { error: detail }));
          o.logger.warn({ runId: s.runId, workflow: s.workflow, problems }, 'submission rejected');
          return;
        }
        const { domain, route } = o.router.route(s.tenant);
        const result = await o.store.create(s, domain, route);
        if (result.created) {
          events.push(o.events.make(s.runId, s.workflow, 'run-started', { domain }));
          o.logger.info(
            { runId: s.runId, workflow: s.workflow, tenant: s.tenant, domain, route, tasks: s.tasks.length },
            'run started',
          );
        }
        for (const t of result.ready)
          due.push({ entry: { kind: 'dispatch', runId: s.runId, taskId: t.taskId, attempt: t.attempt }, at: now });
        accepted.push(e.id);
      }),
    );
    await o.events.publish(events);
    await o.schedule.add(due);
    if (due.length > 0) o.onDue();
    const details = new Map(rejected.map((r) => [r.id, r.detail]));
    await o.consumer.deadLetter(rejected, 'rejected', (id) => details.get(id) ?? 'rejected');
    await o.consumer.ack(accepted);
  };
}

/**
 * For a submission entry that could not even be decoded: when its JSON still names a run id and a
 * workflow, the run-failed event that tells the orchestrator why.
 */
export function runFailedForMalformed(
  fields: EntryFields | null,
  detail: string,
  events: RunEvents,
): RunEvent | undefined {
  try {
    const raw = JSON.parse(fieldMap(fields).get('submission') ?? 'null') as {
      runId?: unknown;
      workflow?: unknown;
    } | null;
    if (typeof raw?.runId === 'string' && typeof raw.workflow === 'string' && RUN_ID_PATTERN.test(raw.runId)) {
      return events.make(raw.runId, raw.workflow, 'run-failed', { error: `invalid submission: ${detail}` });
    }
  } catch {
    // not JSON: nothing names the run
  }
  return undefined;
}
