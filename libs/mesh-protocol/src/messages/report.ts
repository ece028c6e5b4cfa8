import { ackSchema, type Ack } from './ack';
import {
  SCHEMA_DIALECT,
  assignmentIdSchema,
  attemptSchema,
  epochMsSchema,
  nameSchema,
  runIdSchema,
  type EpochMs,
} from './common';

/** One assignment a runner started executing. */
export interface StartedTask {
  readonly assignmentId: string;
  readonly runId: string;
  readonly workflow: string;
  readonly taskId: string;
  readonly attempt: number;
  readonly startedAt: EpochMs;
}

/** Most items one report carries: a runner splits larger batches. */
export const MAX_REPORT_ITEMS = 1000;

/**
 * What a runner did since its last report (additive in v1): the assignments it picked up and the acks of
 * those it finished, in one entry. Written by a runner to `mesh:acks` (field `report`) before it XACKs the
 * acked assignments; read by the supervisor (group `supervisor`) like single `ack` entries, which a runner
 * may still write one by one. Picked-up tasks show `running` with their real start time.
 */
export interface RunnerReport {
  readonly runnerId: string;
  readonly at: EpochMs;
  readonly started: readonly StartedTask[];
  readonly acks: readonly Ack[];
}

export const reportSchema = {
  $schema: SCHEMA_DIALECT,
  $id: 'urn:mesh:protocol:v1:report',
  title: 'RunnerReport',
  description:
    'What a runner started and finished since its last report: runner → supervisor on mesh:acks (field "report"), beside single "ack" entries.',
  type: 'object',
  required: ['runnerId', 'at', 'started', 'acks'],
  properties: {
    runnerId: nameSchema,
    at: epochMsSchema,
    started: {
      type: 'array',
      maxItems: MAX_REPORT_ITEMS,
      items: {
        type: 'object',
        required: ['assignmentId', 'runId', 'workflow', 'taskId', 'attempt', 'startedAt'],
        properties: {
          assignmentId: assignmentIdSchema,
          runId: runIdSchema,
          workflow: nameSchema,
          taskId: nameSchema,
          attempt: attemptSchema,
          startedAt: epochMsSchema,
        },
      },
    },
    acks: {
      type: 'array',
      maxItems: MAX_REPORT_ITEMS,
      items: { type: 'object', required: ackSchema.required, properties: ackSchema.properties },
    },
  },
} as const;
