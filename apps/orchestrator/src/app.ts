import type { Express } from 'express';
import type { Registry } from 'prom-client';
import type { Logger } from '@mesh/logging';
import type { OrchestratorMetrics } from '@mesh/metrics-schema';
import type { RunIndex, RunState } from '@mesh/run-state';
import { createServiceApp, finishApp, metricsHandler, type ReadinessCheck } from '@mesh/service-kit';
import { ApiTokens } from './auth/api-tokens';
import { authenticate } from './auth/authenticate';
import { errorHeaders } from './http/error-headers';
import { requestMetrics } from './http/request-metrics';
import { ListCursors } from './routes/list-cursors';
import { runRoutes } from './routes/runs';
import type { DataEpoch } from './runs/data-epoch';
import { workflowRoutes } from './routes/workflow';
import type { SubmissionService } from './submissions/submission-service';

export interface OrchestratorAppDeps {
  readonly registry: Registry;
  readonly metrics: OrchestratorMetrics;
  readonly logger: Logger;
  readonly redisReady: ReadinessCheck;
  readonly submissions: SubmissionService;
  readonly state: RunState;
  readonly index: RunIndex;
  /** When Redis's data set began: GET tells a run lost with earlier data from one that never was. */
  readonly epoch?: DataEpoch;
  /** The API's tokens (MESH_API_TOKEN, MESH_API_TOKENS); none configured: the API is open (loopback only). */
  readonly tokens?: ApiTokens;
  readonly bodyLimitBytes: number;
  /** How long a read waits for Redis before answering 503 (default 2000 ms). */
  readonly redisTimeoutMs?: number;
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
  const tokens = deps.tokens ?? new ApiTokens([]);
  app.use(
    '/workflow',
    authenticate(tokens, () => deps.metrics.submissionsRejected.inc({ reason: 'unauthorized' })),
  );
  app.use('/workflows', authenticate(tokens));
  app.use(
    workflowRoutes({ submissions: deps.submissions, metrics: deps.metrics, bodyLimitBytes: deps.bodyLimitBytes }),
  );
  app.use(
    runRoutes(deps.state, deps.index, deps.redisTimeoutMs ?? 2000, new ListCursors(tokens.keyMaterial), deps.epoch),
  );
  app.use(errorHeaders());
  return finishApp(app, deps.logger);
}
