import type { Logger } from '@mesh/logging';
import {
  fieldMap,
  graphProblems,
  RUN_ID_PATTERN,
  type ConsumedEntry,
  type EntryFields,
  type RedisStreamConsumer,
  type Submission,
} from '@mesh/mesh-protocol';
import type { RunIndex, RunState } from '@mesh/run-state';
import type { RunnerDirectory } from '../dispatch/runner-directory';
import type { EventBatch, RunEvents } from '../events/run-events';
import type { TenantRouter } from '../routing/tenant-router';
import type { Coordinator, Dispatchable } from '../runs/coordinator';

export interface SubmissionHandlerOptions {
  readonly consumer: RedisStreamConsumer<'submission'>;
  readonly state: RunState;
  readonly index: RunIndex;
  readonly coordinator: Coordinator;
  readonly events: RunEvents;
  readonly router: TenantRouter;
  readonly directory: RunnerDirectory;
  readonly logger: Logger;
}

/**
 * Takes submissions: the graph is checked first (a bad one ends as run-failed and a dead letter); the run
 * (created by the orchestrator, or here for a submission written straight to mesh:workflows) is started on
 * its tenant's domain and its root tasks are published; only then is the submission acked. Taking a
 * submission twice is harmless: only a replay (the entry read again) publishes its queued tasks again.
 */
export function createSubmissionHandler(
  o: SubmissionHandlerOptions,
): (entries: ConsumedEntry<Submission>[]) => Promise<void> {
  return async (entries) => {
    const events = o.events.batch();
    const queued: Dispatchable[] = [];
    const accepted: string[] = [];
    const rejected: Array<ConsumedEntry<Submission> & { detail: string }> = [];

    await Promise.all(
      entries.map(async (e) => {
        const s = e.message;
        const problems = graphProblems(s.tasks);
        if (problems.length > 0) {
          const detail = `invalid submission: ${problems.join('; ')}`;
          rejected.push({ ...e, detail });
          events.add(s.runId, s.workflow, 'run-failed', { error: detail });
          o.logger.warn({ runId: s.runId, workflow: s.workflow, problems }, 'submission rejected');
          return;
        }
        const { domain, route } = o.router.route(s.tenant);
        const start = async () =>
          o.state.start(s.runId, {
            domain,
            route,
            hardware: await o.directory.hardwareOf(domain),
            replay: e.deliveries > 1,
          });
        let started = await start();
        if (started.outcome === 'missing') {
          await o.state.create(s);
          await o.index.add(s);
          started = await start();
        }
        if (started.outcome === 'started') {
          o.coordinator.runStarted(s.workflow);
          events.add(s.runId, s.workflow, 'run-started', { domain });
          o.logger.info(
            { runId: s.runId, workflow: s.workflow, tenant: s.tenant, domain, route, tasks: s.tasks.length },
            'run started',
          );
        }
        queued.push(...started.queued.map((task) => ({ runId: s.runId, route: started.route, task })));
        accepted.push(e.id);
      }),
    );
    await o.coordinator.advance({ queued, events });
    const details = new Map(rejected.map((r) => [r.id, r.detail]));
    await o.consumer.deadLetter(rejected, 'rejected', (id) => details.get(id) ?? 'rejected');
    await o.consumer.ack(accepted);
  };
}

/**
 * Ends the run of a submission past its delivery limit (every attempt to process it failed): its tasks not
 * started yet fail with the reason and the run ends failed, instead of staying `queued` forever. A run the
 * orchestrator did not create is created and indexed first, so its record says why. A submission whose graph is
 * invalid has no run to end (it is rejected).
 */
export function createExhaustedSubmissionHandler(
  o: Pick<SubmissionHandlerOptions, 'state' | 'index' | 'coordinator'>,
): (entry: ConsumedEntry<Submission>) => Promise<void> {
  return async ({ message: s, deliveries }) => {
    if (graphProblems(s.tasks).length > 0) return;
    if ((await o.state.create(s)) === 'created') await o.index.add(s);
    const reason = `submission given up after ${deliveries} deliveries (delivery limit)`;
    await o.coordinator.abandon([{ runId: s.runId, workflow: s.workflow, reason }]);
  };
}

/**
 * For a submission entry that could not even be decoded: when its JSON still names a run id and a
 * workflow, the run-failed event that says why.
 */
export function runFailedForMalformed(fields: EntryFields | null, detail: string, events: EventBatch): void {
  try {
    const raw = JSON.parse(fieldMap(fields).get('submission') ?? 'null') as {
      runId?: unknown;
      workflow?: unknown;
    } | null;
    if (typeof raw?.runId === 'string' && typeof raw.workflow === 'string' && RUN_ID_PATTERN.test(raw.runId)) {
      events.add(raw.runId, raw.workflow, 'run-failed', { error: `invalid submission: ${detail}` });
    }
  } catch {
    // not JSON: nothing names the run
  }
}
