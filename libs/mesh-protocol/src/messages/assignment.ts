import {
  SCHEMA_DIALECT,
  assignmentIdSchema,
  attemptSchema,
  epochMsSchema,
  nameSchema,
  runIdSchema,
  timeoutMsSchema,
  type EpochMs,
} from './common';

/**
 * One attempt of one task. Written by the supervisor to `mesh:assignments:<domain>`; read by the
 * runners of that domain (group `runners`), which execute it and answer with an Ack.
 */
export interface Assignment {
  /** Unique per task attempt; acks are applied idempotently by it. */
  readonly assignmentId: string;
  readonly runId: string;
  readonly workflow: string;
  readonly taskId: string;
  readonly tenant: string;
  readonly domain: string;
  readonly kind: string;
  readonly payload: unknown;
  /** 1 for the first attempt, then +1 per retry. */
  readonly attempt: number;
  /** Start-to-close: the runner aborts the attempt this long after picking it up. */
  readonly timeoutMs: number;
  readonly enqueuedAt: EpochMs;
  /** Additive: the outputs of the task's dependencies, by dependency task id (absent when it has none). */
  readonly inputs?: Record<string, unknown>;
  /**
   * Additive: how long the entry stays with its runner without a renewal (XCLAIM … JUSTID) before another
   * runner may take it over. A worker that never renews still works for tasks shorter than this.
   */
  readonly leaseMs?: number;
}

/** The lease of an assignment when nothing else is configured (RUNNER_CLAIM_IDLE_MS, SUPERVISOR_LEASE_MS). */
export const DEFAULT_LEASE_MS = 3000;

export const assignmentSchema = {
  $schema: SCHEMA_DIALECT,
  $id: 'urn:mesh:protocol:v1:assignment',
  title: 'Assignment',
  description: 'One attempt of one task: supervisor → runners on mesh:assignments:<domain> (field "assignment").',
  type: 'object',
  required: [
    'assignmentId',
    'runId',
    'workflow',
    'taskId',
    'tenant',
    'domain',
    'kind',
    'payload',
    'attempt',
    'timeoutMs',
    'enqueuedAt',
  ],
  properties: {
    assignmentId: assignmentIdSchema,
    runId: runIdSchema,
    workflow: nameSchema,
    taskId: nameSchema,
    tenant: nameSchema,
    domain: nameSchema,
    kind: nameSchema,
    payload: {},
    attempt: attemptSchema,
    timeoutMs: timeoutMsSchema,
    enqueuedAt: epochMsSchema,
    inputs: { type: 'object', description: 'The outputs of the dependencies, by dependency task id (additive).' },
    leaseMs: {
      type: 'integer',
      minimum: 1,
      description: 'How long the entry stays with its runner without a renewal before another may take it (additive).',
    },
  },
} as const;
