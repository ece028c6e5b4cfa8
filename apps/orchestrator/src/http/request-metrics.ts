import type { NextFunction, Request, Response } from 'express';
import { ORCHESTRATOR_ROUTES, type OrchestratorMetrics } from '@mesh/metrics-schema';

export type RouteLabel = (typeof ORCHESTRATOR_ROUTES)[number];

const FIXED: Record<string, RouteLabel> = {
  '/metrics': 'GET /metrics',
  '/healthz': 'GET /healthz',
  '/readyz': 'GET /readyz',
};

/** Names the route template a handler serves, for the request duration histogram. */
export function routeLabel(label: RouteLabel) {
  return (_req: Request, res: Response, next: NextFunction): void => {
    res.locals['route'] = label;
    next();
  };
}

/** Observes orchestrator_http_request_duration_seconds{route,status_class} for every request. */
export function requestMetrics(metrics: OrchestratorMetrics) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const start = process.hrtime.bigint();
    res.once('finish', () => {
      const route =
        (res.locals['route'] as RouteLabel | undefined) ??
        (req.method === 'GET' ? FIXED[req.path] : undefined) ??
        'unmatched';
      const statusClass = `${Math.min(5, Math.max(1, Math.floor(res.statusCode / 100)))}xx` as
        '1xx' | '2xx' | '3xx' | '4xx' | '5xx';
      metrics.httpRequestDuration.observe(
        { route, status_class: statusClass },
        Number(process.hrtime.bigint() - start) / 1e9,
      );
    });
    next();
  };
}
