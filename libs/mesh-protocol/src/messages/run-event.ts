import { SCHEMA_DIALECT, attemptSchema, epochMsSchema, nameSchema, runIdSchema, type EpochMs } from './common';

export const RUN_EVENT_TYPES = [
  'run-started',
  'task-dispatched',
  'task-started',
  'task-succeeded',
  'task-failed',
  'task-retrying',
  'task-skipped',
  'run-succeeded',
  'run-failed',
  'run-cancelled',
  'batch',
] as const;

export type RunEventType = (typeof RUN_EVENT_TYPES)[number];

/**
 * Something that happened to a run: the public feed of run changes (for consoles, SSE, integrations),
 * not the run's state, which lives in the run's keys. Written by supervisors to `mesh:run-events`, at most
 * one entry per run per batch of work: one change as itself, several as one entry whose `events` hold
 * them in order; that entry's type is the last run-level change among them (run-started, run-succeeded,
 * run-failed), else `batch`. Task events carry the task id, attempt and (once known) the runner id. The
 * orchestrator writes `run-cancelled` when a run is cancelled.
 * Readers skip types they do not know; a reader of `events` reads every change from it.
 */
export interface RunEvent {
  readonly runId: string;
  readonly workflow: string;
  readonly type: RunEventType;
  readonly at: EpochMs;
  readonly taskId?: string;
  readonly runnerId?: string;
  readonly attempt?: number;
  readonly domain?: string;
  readonly error?: string;
  /** When the entry holds several changes: all of them in order, each without runId and workflow. */
  readonly events?: ReadonlyArray<Omit<RunEvent, 'runId' | 'workflow' | 'events'>>;
}

export const runEventSchema = {
  $schema: SCHEMA_DIALECT,
  $id: 'urn:mesh:protocol:v1:event',
  title: 'RunEvent',
  description:
    'Something that happened to a run: supervisors → any reader of mesh:run-events (field "event"), a public feed.',
  type: 'object',
  required: ['runId', 'workflow', 'type', 'at'],
  properties: {
    runId: runIdSchema,
    workflow: nameSchema,
    type: { enum: [...RUN_EVENT_TYPES] },
    at: epochMsSchema,
    taskId: nameSchema,
    runnerId: nameSchema,
    attempt: attemptSchema,
    domain: nameSchema,
    error: { type: 'string' },
    events: {
      type: 'array',
      description:
        'When the entry holds several changes: all of them, in order, each an event without runId and workflow (its own type is the last run-level change among them, else "batch").',
      items: { type: 'object', required: ['type', 'at'], properties: { type: { type: 'string' }, at: epochMsSchema } },
    },
  },
} as const;
