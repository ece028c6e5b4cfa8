import { SCHEMA_DIALECT, attemptSchema, epochMsSchema, nameSchema, runIdSchema, type EpochMs } from './common';

export const RUN_EVENT_TYPES = [
  'run-started',
  'task-dispatched',
  'task-succeeded',
  'task-failed',
  'task-retrying',
  'task-skipped',
  'run-succeeded',
  'run-failed',
] as const;

export type RunEventType = (typeof RUN_EVENT_TYPES)[number];

/**
 * Something that happened to a run. Written by the supervisor to `mesh:run-events`; read by the
 * orchestrator (group `orchestrator`), which folds the events into run records. Task events carry
 * the task id, attempt and (once a runner acked) the runner id.
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
}

export const runEventSchema = {
  $schema: SCHEMA_DIALECT,
  $id: 'urn:mesh:protocol:v1:event',
  title: 'RunEvent',
  description: 'Something that happened to a run: supervisor → orchestrator on mesh:run-events (field "event").',
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
  },
} as const;
