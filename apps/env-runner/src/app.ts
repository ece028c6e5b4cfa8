import type { Express } from 'express';
import { Registry } from 'prom-client';
import type { Logger } from '@mesh/logging';
import { createServiceApp, finishApp, type ReadinessCheck } from '@mesh/service-kit';

export interface EnvRunnerAppDeps {
  /** The runner's own metrics (`/prometheus`). */
  readonly registry: Registry;
  /** The hardware snapshot series, added on `/metrics`. */
  readonly hardwareRegistry: Registry;
  readonly logger: Logger;
  readonly redisReady: ReadinessCheck;
  readonly isDraining?: () => boolean;
}

/** The env runner's HTTP surface. Never listens by itself. */
export function createApp(deps: EnvRunnerAppDeps): Express {
  const app = createServiceApp({ service: 'env-runner', readiness: { redis: deps.redisReady }, ...(deps.isDraining ? { isDraining: deps.isDraining } : {}) });
  app.get('/prometheus', async (_req, res) => {
    res.type(deps.registry.contentType).send(await deps.registry.metrics());
  });
  app.get('/metrics', async (_req, res) => {
    const merged = Registry.merge([deps.registry, deps.hardwareRegistry]);
    res.type(merged.contentType).send(await merged.metrics());
  });
  return finishApp(app, deps.logger);
}
