import Ajv2020 from 'ajv/dist/2020';
import { graphProblems } from '../graph';
import { MAX_TASKS_PER_RUN, TASK_FIELD_SCHEMAS } from '../messages/submission';
import { SCHEMA_DIALECT, nameSchema } from '../messages/common';
import { formatProblems, type Validation } from '../validate';
import type { TaskRequirements } from '../requirements';

/** `POST /workflow` body (orchestrator HTTP API v1). Strict: unknown fields are refused. */
export interface WorkflowRequest {
  readonly workflow: string;
  readonly tenant: string;
  readonly tasks: ReadonlyArray<{
    readonly id: string;
    readonly kind: string;
    readonly payload?: unknown;
    readonly dependsOn?: readonly string[];
    readonly retries?: number;
    readonly timeoutMs?: number;
    readonly queueTimeoutMs?: number;
    readonly domain?: string;
    readonly requires?: TaskRequirements;
  }>;
}

/** A task's timeout when the request names none. */
export const DEFAULT_TASK_TIMEOUT_MS = 300_000;

export const workflowRequestSchema = {
  $schema: SCHEMA_DIALECT,
  $id: 'urn:mesh:api:v1:workflow-request',
  title: 'WorkflowRequest',
  description:
    'The body of POST /workflow. Task ids are unique, dependencies name tasks of the same request, and the graph has no cycle (checked beyond this schema).',
  type: 'object',
  required: ['workflow', 'tenant', 'tasks'],
  additionalProperties: false,
  properties: {
    workflow: nameSchema,
    tenant: nameSchema,
    tasks: {
      type: 'array',
      minItems: 1,
      maxItems: MAX_TASKS_PER_RUN,
      items: {
        type: 'object',
        required: ['id', 'kind'],
        additionalProperties: false,
        properties: { ...TASK_FIELD_SCHEMAS, dependsOn: { type: 'array', items: nameSchema } },
      },
    },
  },
} as const;

const validate = new Ajv2020({ allErrors: true, strict: true }).compile(workflowRequestSchema);

/**
 * Validates a request body: the JSON Schema, then the graph (duplicate ids, unknown dependencies,
 * cycles) over the tasks well-formed enough to check. Every problem is listed.
 */
export function validateWorkflowRequest(body: unknown): Validation<WorkflowRequest> {
  const problems = validate(body) ? [] : formatProblems(validate.errors ?? []);
  const tasks = (body as { tasks?: unknown } | null)?.tasks;
  if (Array.isArray(tasks)) {
    const checkable = tasks.flatMap((t: { id?: unknown; dependsOn?: unknown }) => {
      const deps = t?.dependsOn ?? [];
      return typeof t?.id === 'string' && Array.isArray(deps) && deps.every((d) => typeof d === 'string')
        ? [{ id: t.id, dependsOn: deps as string[] }]
        : [];
    });
    problems.push(...graphProblems(checkable).map((p) => `/tasks: ${p}`));
    tasks.forEach((t: { domain?: unknown; requires?: unknown } | null, i) => {
      if (t?.domain !== undefined && t.requires !== undefined)
        problems.push(`/tasks/${i}: give domain or requires, not both`);
    });
  }
  return problems.length === 0 ? { ok: true, value: body as WorkflowRequest } : { ok: false, problems };
}
