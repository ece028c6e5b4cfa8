import type { Express } from 'express';
import { Registry } from 'prom-client';
import type { Logger } from '@mesh/logging';
import { UnavailableError } from '@mesh/errors';
import { createServiceApp, finishApp, metricsHandler, type ReadinessCheck } from '@mesh/service-kit';
import type { RunnerHardware } from './hardware/snapshot';

export interface EnvRunnerAppDeps {
  /** The runner's own metrics (`/prometheus`). */
  readonly registry: Registry;
  /** The hardware snapshot series, added on `/metrics`. */
  readonly hardwareRegistry: Registry;
  /** The latest cached snapshot; requests never wait on detection. */
  readonly hardware: () => RunnerHardware | undefined;
  readonly logger: Logger;
  readonly redisReady: ReadinessCheck;
  readonly isDraining?: () => boolean;
}

/** The env runner's HTTP surface. Never listens by itself. */
export function createApp(deps: EnvRunnerAppDeps): Express {
  const app = createServiceApp({
    service: 'env-runner',
    readiness: { redis: deps.redisReady },
    ...(deps.isDraining ? { isDraining: deps.isDraining } : {}),
  });
  const merged = Registry.merge([deps.registry, deps.hardwareRegistry]);
  app.get('/prometheus', metricsHandler(deps.registry));
  app.get('/metrics', metricsHandler(merged));
  app.get('/hardware', (_req, res) => {
    const snapshot = deps.hardware();
    if (!snapshot) throw new UnavailableError('hardware not collected yet');
    res.json(snapshot);
  });
  return finishApp(app, deps.logger);
}
