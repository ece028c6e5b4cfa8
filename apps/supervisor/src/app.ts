import type { Express } from 'express';
import type { Registry } from 'prom-client';
import type { Logger } from '@mesh/logging';
import { createServiceApp, finishApp, metricsHandler, type ReadinessCheck } from '@mesh/service-kit';

export interface SupervisorAppDeps {
  readonly registry: Registry;
  readonly logger: Logger;
  readonly redisReady: ReadinessCheck;
  readonly isDraining?: () => boolean;
  /** False while the supervisor cannot make progress (its work keeps failing though Redis answers). */
  readonly progressing?: () => boolean;
}

/**
 * The supervisor's HTTP surface: `/metrics`, `/healthz`, `/readyz` (Redis answers, the supervisor is not draining
 * and its work is not stalled). Never listens by itself.
 */
export function createApp(deps: SupervisorAppDeps): Express {
  const app = createServiceApp({
    service: 'supervisor',
    readiness: {
      redis: deps.redisReady,
      ...(deps.progressing ? { progress: () => Promise.resolve(deps.progressing?.() ?? true) } : {}),
    },
    ...(deps.isDraining ? { isDraining: deps.isDraining } : {}),
  });
  app.get('/metrics', metricsHandler(deps.registry));
  return finishApp(app, deps.logger);
}
