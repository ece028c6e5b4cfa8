import type { Express } from 'express';
import type { Registry } from 'prom-client';
import type { Logger } from '@mesh/logging';
import type { OrchestratorMetrics } from '@mesh/metrics-schema';
import type { RunIndex, RunRecord, RunState } from '@mesh/run-state';
import { createServiceApp, finishApp, metricsHandler, type ReadinessCheck } from '@mesh/service-kit';
import { ApiTokens } from './auth/api-tokens';
import { authenticate } from './auth/authenticate';
import { consoleRoutes } from './console/console';
import type { RunEventHub } from './events/run-event-hub';
import { eventRoutes } from './routes/events';
import type { RunControl } from './runs/run-control';
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
  /** Cancels runs (POST …/cancel); absent: cancel answers 404. */
  readonly control?: RunControl;
  /** The feed of run changes for `GET …/events`; absent: no event streams. */
  readonly hub?: RunEventHub;
  /** The run's record as the API shows it (default: the run state's record). */
  readonly record?: (runId: string) => Promise<RunRecord | undefined>;
  /** The web console at `/`; absent: none. */
  readonly console?: { dir: string; links: ReadonlyArray<{ name: string; url: string }> };
  readonly sseHeartbeatMs?: number;
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
  app.use('/runs', authenticate(tokens));
  app.use(
    workflowRoutes({ submissions: deps.submissions, metrics: deps.metrics, bodyLimitBytes: deps.bodyLimitBytes }),
  );
  const redisTimeoutMs = deps.redisTimeoutMs ?? 2000;
  const record = deps.record ?? ((runId: string) => deps.state.record(runId));
  if (deps.hub)
    app.use(
      eventRoutes({
        state: deps.state,
        hub: deps.hub,
        redisTimeoutMs,
        record,
        ...(deps.sseHeartbeatMs !== undefined ? { heartbeatMs: deps.sseHeartbeatMs } : {}),
      }),
    );
  app.use(
    runRoutes({
      state: deps.state,
      index: deps.index,
      redisTimeoutMs,
      cursors: new ListCursors(tokens.keyMaterial),
      record,
      submissions: deps.submissions,
      ...(deps.epoch ? { epoch: deps.epoch } : {}),
      ...(deps.control ? { control: deps.control } : {}),
    }),
  );
  if (deps.console) app.use(consoleRoutes(deps.console));
  app.use(errorHeaders());
  return finishApp(app, deps.logger);
}
