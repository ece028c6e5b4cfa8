import {
  SCHEMA_DIALECT,
  epochMsSchema,
  hardwareSchema,
  nameSchema,
  runIdSchema,
  timeoutMsSchema,
  type EpochMs,
  type HardwareSnapshot,
} from './common';
import { requirementsSchema, type TaskRequirements } from '../requirements';

/**
 * A workflow run to schedule. Written by the orchestrator to `mesh:workflows` once the HTTP
 * submission is validated; read by the supervisor (group `supervisor`), which validates the graph again.
 */
export interface Submission {
  readonly runId: string;
  readonly workflow: string;
  readonly tenant: string;
  readonly tasks: readonly SubmissionTask[];
  readonly submittedAt: EpochMs;
  /** The most recent runner hardware snapshot when the run was accepted (null when none was known). */
  readonly hardware: HardwareSnapshot | null;
}

export interface SubmissionTask {
  readonly id: string;
  readonly kind: string;
  readonly payload: unknown;
  readonly dependsOn: readonly string[];
  readonly retries: number;
  /** Start-to-close: counted from a runner's pickup of each attempt. */
  readonly timeoutMs: number;
  /** Schedule-to-start (additive, optional): an attempt not picked up within it fails. Without it, waiting never fails a task. */
  readonly queueTimeoutMs?: number;
  /** Additive: the domain this task runs in (instead of its tenant's route). */
  readonly domain?: string;
  /** Additive: the hardware this task needs; it runs in a domain whose live runners report it. */
  readonly requires?: TaskRequirements;
}

export const MAX_TASKS_PER_RUN = 100_000;

/** A task's fields as both the HTTP API and the wire protocol constrain them (dependsOn aside). */
export const TASK_FIELD_SCHEMAS = {
  id: nameSchema,
  kind: nameSchema,
  payload: {},
  retries: { type: 'integer', minimum: 0, maximum: 100 },
  timeoutMs: timeoutMsSchema,
  queueTimeoutMs: timeoutMsSchema,
  domain: { ...nameSchema, description: "The domain this task runs in, instead of its tenant's route." },
  requires: requirementsSchema,
} as const;

export const submissionSchema = {
  $schema: SCHEMA_DIALECT,
  $id: 'urn:mesh:protocol:v1:submission',
  title: 'Submission',
  description: 'A workflow run to schedule: orchestrator → supervisor on mesh:workflows (field "submission").',
  type: 'object',
  required: ['runId', 'workflow', 'tenant', 'tasks', 'submittedAt', 'hardware'],
  properties: {
    runId: runIdSchema,
    workflow: nameSchema,
    tenant: nameSchema,
    tasks: {
      type: 'array',
      minItems: 1,
      maxItems: MAX_TASKS_PER_RUN,
      items: {
        type: 'object',
        required: ['id', 'kind', 'payload', 'dependsOn', 'retries', 'timeoutMs'],
        properties: { ...TASK_FIELD_SCHEMAS, dependsOn: { type: 'array', items: nameSchema, uniqueItems: true } },
      },
    },
    submittedAt: epochMsSchema,
    hardware: hardwareSchema,
  },
} as const;
