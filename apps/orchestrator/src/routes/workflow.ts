import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { MeshError } from '@mesh/errors';
import type { OrchestratorMetrics } from '@mesh/metrics-schema';
import { routeLabel } from '../http/request-metrics';
import type { SubmissionService } from '../submissions';

/** Not JSON. */
export class UnsupportedMediaTypeError extends MeshError {
  constructor() {
    super('MESH_UNSUPPORTED_MEDIA_TYPE', 'the body must be JSON (Content-Type: application/json)', { status: 415 });
  }
}

/** `POST /workflow`: 202 once the run is queued on mesh:workflows. */
export function workflowRoutes(deps: {
  submissions: SubmissionService;
  metrics: OrchestratorMetrics;
  bodyLimitBytes: number;
}): Router {
  const router = Router();
  router.post(
    '/workflow',
    routeLabel('POST /workflow'),
    (req: Request, _res: Response, next: NextFunction) =>
      next(req.is('application/json') ? undefined : new UnsupportedMediaTypeError()),
    express.json({ limit: deps.bodyLimitBytes, strict: true, type: 'application/json' }),
    async (req: Request, res: Response) => {
      const accepted = await deps.submissions.submit(req.body, req.get('idempotency-key') ?? undefined);
      const run = `/workflows/${encodeURIComponent(accepted.workflow)}/runs/${encodeURIComponent(accepted.runId)}`;
      res
        .status(202)
        .location(run)
        .json({ runId: accepted.runId, workflow: accepted.workflow, status: 'queued', links: { run } });
    },
    // Count refusals that happen before the service sees the body.
    (err: unknown, _req: Request, _res: Response, next: NextFunction) => {
      const status = (err as { status?: number }).status;
      const type = (err as { type?: string }).type;
      if (err instanceof UnsupportedMediaTypeError)
        deps.metrics.submissionsRejected.inc({ reason: 'unsupported_media_type' });
      else if (type === 'entity.too.large') deps.metrics.submissionsRejected.inc({ reason: 'too_large' });
      else if (type === 'entity.parse.failed' || (status === 400 && !(err instanceof MeshError)))
        deps.metrics.submissionsRejected.inc({ reason: 'invalid' });
      next(err);
    },
  );
  return router;
}
