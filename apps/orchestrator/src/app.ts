import type { Express } from 'express';
import type { Registry } from 'prom-client';
import type { Logger } from '@mesh/logging';
import type { OrchestratorMetrics } from '@mesh/metrics-schema';
import { createServiceApp, finishApp, metricsHandler, type ReadinessCheck } from '@mesh/service-kit';
import { requireBearer } from './http/auth';
import { requestMetrics } from './http/request-metrics';
import type { RunIndex, RunState } from '@mesh/run-state';
import { runRoutes } from './routes/runs';
import { workflowRoutes } from './routes/workflow';
import type { SubmissionService } from './submissions';

export interface OrchestratorAppDeps {
  readonly registry: Registry;
  readonly metrics: OrchestratorMetrics;
  readonly logger: Logger;
  readonly redisReady: ReadinessCheck;
  readonly submissions: SubmissionService;
  readonly state: RunState;
  readonly index: RunIndex;
  readonly apiToken?: string | undefined;
  readonly bodyLimitBytes: number;
  readonly isDraining?: () => boolean;
}

/** The orchestrator's HTTP surface (API v1, /metrics, /healthz, /readyz). Never listens by itself. */
export function createApp(deps: OrchestratorAppDeps): Express {
  const app = createServiceApp({
    service: 'orchestrator',
    readiness: { redis: deps.redisReady },
    middleware: [requestMetrics(deps.metrics)],
    ...(deps.isDraining ? { isDraining: deps.isDraining } : {}),
  });
  app.get('/metrics', metricsHandler(deps.registry));
  const auth = requireBearer(deps.apiToken, () => deps.metrics.submissionsRejected.inc({ reason: 'unauthorized' }));
  app.use('/workflow', auth);
  app.use('/workflows', requireBearer(deps.apiToken));
  app.use(
    workflowRoutes({ submissions: deps.submissions, metrics: deps.metrics, bodyLimitBytes: deps.bodyLimitBytes }),
  );
  app.use(runRoutes(deps.state, deps.index));
  return finishApp(app, deps.logger);
}
