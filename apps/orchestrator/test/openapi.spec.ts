import { readFileSync } from 'node:fs';
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
import type { SubmissionService } from '../src/submissions/submission-service';

const doc = parse(readFileSync(join(__dirname, '..', '..', '..', 'docs', 'openapi.yaml'), 'utf8')) as {
  paths: Record<string, Record<string, unknown>>;
  components: { schemas: { WorkflowRequest: { properties: Record<string, unknown>; required: string[] } } };
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
});
