import type { Express } from 'express';
import type { Registry } from 'prom-client';
import type { Logger } from '@mesh/logging';
import { createServiceApp, finishApp, metricsHandler, type ReadinessCheck } from '@mesh/service-kit';

export interface SupervisorAppDeps {
  readonly registry: Registry;
  readonly logger: Logger;
  readonly redisReady: ReadinessCheck;
  readonly isDraining?: () => boolean;
}

/** The supervisor's HTTP surface: `/metrics`, `/healthz`, `/readyz`. Never listens by itself. */
export function createApp(deps: SupervisorAppDeps): Express {
  const app = createServiceApp({
    service: 'supervisor',
    readiness: { redis: deps.redisReady },
    ...(deps.isDraining ? { isDraining: deps.isDraining } : {}),
  });
  app.get('/metrics', metricsHandler(deps.registry));
  return finishApp(app, deps.logger);
}
