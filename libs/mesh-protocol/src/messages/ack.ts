import {
  SCHEMA_DIALECT,
  assignmentIdSchema,
  attemptSchema,
  epochMsSchema,
  nameSchema,
  runIdSchema,
  type EpochMs,
} from './common';

/**
 * The outcome of one assignment. Written by a runner to `mesh:acks` before it XACKs the assignment;
 * read by the supervisor (group `supervisor`), which applies it once per assignmentId + attempt.
 */
export interface Ack {
  readonly assignmentId: string;
  readonly runId: string;
  readonly workflow: string;
  readonly taskId: string;
  readonly attempt: number;
  readonly runnerId: string;
  readonly success: boolean;
  readonly latencyMs: number;
  readonly startedAt: EpochMs;
  readonly finishedAt: EpochMs;
  readonly error?: string;
  /** The task's result; runners bound its size. */
  readonly output?: unknown;
  /** Additive: true when the attempt was not run to its end because its run was cancelled (success is false). */
  readonly cancelled?: boolean;
}

/** Longest error text an ack carries; runners truncate longer ones. */
export const MAX_ACK_ERROR_LENGTH = 4096;

export const ackSchema = {
  $schema: SCHEMA_DIALECT,
  $id: 'urn:mesh:protocol:v1:ack',
  title: 'Ack',
  description: 'The outcome of one assignment: runner → supervisor on mesh:acks (field "ack").',
  type: 'object',
  required: [
    'assignmentId',
    'runId',
    'workflow',
    'taskId',
    'attempt',
    'runnerId',
    'success',
    'latencyMs',
    'startedAt',
    'finishedAt',
  ],
  properties: {
    assignmentId: assignmentIdSchema,
    runId: runIdSchema,
    workflow: nameSchema,
    taskId: nameSchema,
    attempt: attemptSchema,
    runnerId: nameSchema,
    success: { type: 'boolean' },
    latencyMs: { type: 'number', minimum: 0 },
    startedAt: epochMsSchema,
    finishedAt: epochMsSchema,
    error: { type: 'string', maxLength: MAX_ACK_ERROR_LENGTH },
    output: {},
    cancelled: {
      type: 'boolean',
      description: 'Additive: the attempt was aborted, or never started, because its run was cancelled.',
    },
  },
} as const;
