import express, { type Express, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { isMeshError } from '@mesh/errors';
import type { Logger } from '@mesh/logging';
import type { Registry } from 'prom-client';

/** A readiness probe: resolves true when the dependency it checks is usable. */
export type ReadinessCheck = () => Promise<boolean>;

export interface ServiceAppOptions {
  readonly service: string;
  /** Named dependency checks behind `/readyz` (e.g. `redis`). `/healthz` never runs them. */
  readonly readiness?: Readonly<Record<string, ReadinessCheck>>;
  /** True while the service drains before shutdown: `/readyz` answers 503. */
  readonly isDraining?: () => boolean;
  /** Middleware that must see every request, health checks included (e.g. request metrics). */
  readonly middleware?: readonly RequestHandler[];
}

/**
 * An Express app with Mesh's plumbing: no `X-Powered-By`, `/healthz` (the process is alive; never
 * touches Redis) and `/readyz` (every readiness check passes and the service is not draining).
 * Add routes, then call `finishApp` to install the 404 and error handlers.
 */
export function createServiceApp(options: ServiceAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  for (const m of options.middleware ?? []) app.use(m);
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', service: options.service });
  });
  app.get('/readyz', async (_req, res) => {
    const checks: Record<string, 'ok' | 'failing'> = {};
    await Promise.all(
      Object.entries(options.readiness ?? {}).map(async ([name, check]) => {
        checks[name] = (await check().catch(() => false)) ? 'ok' : 'failing';
      }),
    );
    const draining = options.isDraining?.() ?? false;
    const ready = !draining && Object.values(checks).every((c) => c === 'ok');
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : draining ? 'draining' : 'not-ready', checks });
  });
  return app;
}

/** Serves a registry's exposition (prom-client renders it on each scrape). */
export function metricsHandler(registry: Registry): RequestHandler {
  return async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics());
  };
}

/** The JSON error body every Mesh endpoint answers with. */
export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly details?: readonly string[] };
}

/** Installs the JSON 404 for unknown routes and the error middleware (MeshError → its status; no stacks). */
export function finishApp(app: Express, logger: Logger): Express {
  app.use((req: Request, res: Response) => {
    const body: ErrorBody = {
      error: { code: 'MESH_ROUTE_NOT_FOUND', message: `no route for ${req.method} ${req.path}` },
    };
    res.status(404).json(body);
  });
  app.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    const [status, body] = toErrorResponse(err);
    if (status >= 500) logger.error({ err, method: req.method, path: req.path }, 'request failed');
    res.status(status).json(body);
  });
  return app;
}

/** Maps any thrown value to an HTTP status and a safe JSON body. */
export function toErrorResponse(err: unknown): [number, ErrorBody] {
  if (isMeshError(err)) {
    const details = err.details.length > 0 ? { details: err.details } : {};
    return [
      err.status,
      {
        error: {
          code: err.code,
          message: err.status >= 500 && err.status !== 503 ? 'internal error' : err.message,
          ...details,
        },
      },
    ];
  }
  // body-parser errors carry a status and a type.
  const e = err as { status?: number; type?: string };
  if (e?.type === 'entity.too.large')
    return [413, { error: { code: 'MESH_BODY_TOO_LARGE', message: 'request body is over the size limit' } }];
  if (e?.type === 'entity.parse.failed')
    return [400, { error: { code: 'MESH_BODY_MALFORMED', message: 'request body is not valid JSON' } }];
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
    return [e.status, { error: { code: 'MESH_BAD_REQUEST', message: 'bad request' } }];
  }
  return [500, { error: { code: 'MESH_INTERNAL', message: 'internal error' } }];
}
