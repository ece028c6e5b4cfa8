import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Express } from 'express';
import { Registry } from 'prom-client';
import { parse } from 'yaml';
import { createLogger } from '@mesh/logging';
import { createOrchestratorMetrics, ORCHESTRATOR_ROUTES } from '@mesh/metrics-schema';
import { workflowRequestSchema } from '@mesh/mesh-protocol';
import { createApp } from '../src/app';
import type { RunIndex, RunState } from '@mesh/run-state';
import { MeshError, NotFoundError, UnavailableError, ValidationError } from '@mesh/errors';
import { OverLimitError } from '../src/admission/admission';
import { ForbiddenError, UnauthorizedError } from '../src/auth/errors';
import { EmptyBodyError, UnsupportedMediaTypeError } from '../src/routes/workflow';
import {
  IdempotencyConflictError,
  RerunRefusedError,
  type SubmissionService,
} from '../src/submissions/submission-service';
import type { RunEventHub } from '../src/events/run-event-hub';
import { RunFinishedError, type RunControl } from '../src/runs/run-control';

interface Operation {
  responses: Record<string, { $ref?: string }>;
}

const doc = parse(readFileSync(join(__dirname, '..', '..', '..', 'docs', 'openapi.yaml'), 'utf8')) as {
  paths: Record<string, Record<string, Operation>>;
  components: {
    responses: Record<string, { headers?: Record<string, unknown> }>;
    schemas: {
      WorkflowRequest: { properties: Record<string, unknown>; required: string[] };
      Error: { properties: { error: { properties: { code: { examples: string[] } } } } };
    };
  };
};

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

/** Every "METHOD /path" the Express app serves, with :params written as {params}. */
function servedRoutes(app: Express): string[] {
  const out: string[] = [];
  const walk = (stack: Layer[]): void => {
    for (const layer of stack) {
      if (layer.route) {
        for (const method of Object.keys(layer.route.methods))
          out.push(`${method.toUpperCase()} ${layer.route.path.replace(/:(\w+)/g, '{$1}')}`);
      } else if (layer.handle?.stack) {
        walk(layer.handle.stack);
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack);
  return [...new Set(out)].sort();
}

/** A folder holding a console's index.html, so that the app serves the console's routes. */
function builtConsole(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mesh-openapi-console-'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html>');
  return dir;
}

describe('OpenAPI document', () => {
  const app = createApp({
    registry: new Registry(),
    metrics: createOrchestratorMetrics(new Registry()),
    logger: createLogger({ service: 'orchestrator', destination: new Writable({ write: (_c, _e, done) => done() }) }),
    redisReady: async () => true,
    submissions: {} as SubmissionService,
    state: {} as RunState,
    index: {} as RunIndex,
    bodyLimitBytes: 1024,
    hub: {} as RunEventHub,
    control: {} as RunControl,
    console: { dir: builtConsole(), links: [] },
  });
  const documented = Object.entries(doc.paths)
    .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
    .sort();

  it('when the routes the app serves are listed, they are exactly the paths and methods docs/openapi.yaml describes', () => {
    expect(servedRoutes(app)).toEqual(documented);
  });

  it('when routes are labelled in metrics, every documented route has its label', () => {
    expect([...ORCHESTRATOR_ROUTES].filter((r) => r !== 'unmatched').sort()).toEqual(documented);
  });

  it('when the request body schema is compared, the document names the same fields as the validator', () => {
    const schema = doc.components.schemas.WorkflowRequest;
    expect(Object.keys(schema.properties).sort()).toEqual(Object.keys(workflowRequestSchema.properties).sort());
    expect(schema.required).toEqual([...workflowRequestSchema.required]);
    const task = (schema.properties['tasks'] as { items: { properties: Record<string, unknown> } }).items.properties;
    expect(Object.keys(task).sort()).toEqual(
      Object.keys(workflowRequestSchema.properties.tasks.items.properties).sort(),
    );
  });

  it('when the API operations are read, each documents 401 and 503 (with Retry-After), and POST /workflow 403 and 429 (with Retry-After)', () => {
    const api = [
      '/workflow',
      '/workflows/{id}/runs',
      '/workflows/{id}/runs/{runId}',
      '/runs',
      '/workflows/{id}/runs/{runId}/cancel',
      '/workflows/{id}/runs/{runId}/rerun',
      '/workflows/{id}/runs/{runId}/events',
    ];
    for (const path of api)
      for (const op of Object.values(doc.paths[path] ?? {}))
        expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['401', '503']));
    expect(Object.keys(doc.paths['/workflow']?.['post']?.responses ?? {})).toEqual(
      expect.arrayContaining(['403', '429']),
    );
    for (const name of ['TooManyQueuedRuns', 'Unavailable'])
      expect(Object.keys(doc.components.responses[name]?.headers ?? {})).toEqual(['Retry-After']);
  });

  it("when the orchestrator's errors are listed, each code is among the documented codes and each status is documented on POST /workflow or the reads", () => {
    const errors: MeshError[] = [
      new ValidationError('', [], 'MESH_SUBMISSION_INVALID'),
      new ValidationError('', [], 'MESH_QUERY_INVALID'),
      new EmptyBodyError(),
      new UnauthorizedError(),
      new ForbiddenError(''),
      new OverLimitError('', 1),
      new IdempotencyConflictError(),
      new UnsupportedMediaTypeError(),
      new NotFoundError(''),
      new UnavailableError(''),
      new RunFinishedError('r', 'failed'),
      new RerunRefusedError('MESH_RUN_NOT_FINISHED', ''),
      new RerunRefusedError('MESH_NOTHING_TO_RERUN', ''),
      new MeshError('MESH_CONSOLE_NOT_BUILT', '', { status: 404 }),
    ];
    const codes = doc.components.schemas.Error.properties.error.properties.code.examples;
    const statuses = new Set(
      Object.values(doc.paths)
        .flatMap((ops) => Object.values(ops))
        .flatMap((op) => Object.keys(op.responses)),
    );
    for (const err of errors) {
      expect(codes).toContain(err.code);
      expect([err.code, statuses.has(String(err.status))]).toEqual([err.code, true]);
    }
  });
});
