import type { Express } from 'express';
import type { Registry } from 'prom-client';
import type { Logger } from '@mesh/logging';
import { createServiceApp, finishApp, type ReadinessCheck } from '@mesh/service-kit';

export interface OrchestratorAppDeps {
  readonly registry: Registry;
  readonly logger: Logger;
  readonly redisReady: ReadinessCheck;
  readonly isDraining?: () => boolean;
}

/** The orchestrator's HTTP surface. Never listens by itself. */
export function createApp(deps: OrchestratorAppDeps): Express {
  const app = createServiceApp({ service: 'orchestrator', readiness: { redis: deps.redisReady }, ...(deps.isDraining ? { isDraining: deps.isDraining } : {}) });
  app.get('/metrics', async (_req, res) => {
    res.type(deps.registry.contentType).send(await deps.registry.metrics());
  });
  return finishApp(app, deps.logger);
}
