import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { MeshError, ValidationError } from '@mesh/errors';
import type { OrchestratorMetrics } from '@mesh/metrics-schema';
import { principalOf, tenantScope } from '../auth/authenticate';
import { routeLabel } from '../http/request-metrics';
import type { SubmissionService } from '../submissions/submission-service';

/** Not JSON. */
export class UnsupportedMediaTypeError extends MeshError {
  constructor() {
    super('MESH_UNSUPPORTED_MEDIA_TYPE', 'the body must be JSON (Content-Type: application/json)', { status: 415 });
  }
}

/** No body at all (whatever its Content-Type says). */
export class EmptyBodyError extends ValidationError {
  constructor() {
    super('the request body is empty; send the workflow as a JSON object', ['(root): missing body'], 'MESH_BODY_EMPTY');
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
    (req: Request, _res: Response, next: NextFunction) => {
      // req.is() sees no type on a request without a body, so an empty body is named as such first.
      const length = req.get('content-length');
      const empty = req.get('transfer-encoding') === undefined && (length === undefined || Number(length) === 0);
      next(empty ? new EmptyBodyError() : req.is('application/json') ? undefined : new UnsupportedMediaTypeError());
    },
    // Not strict: a body that is JSON but not an object (`null`, `"x"`, `[]`) gets the validator's
    // problems, not "not valid JSON".
    express.json({ limit: deps.bodyLimitBytes, strict: false, type: 'application/json' }),
    async (req: Request, res: Response) => {
      const accepted = await deps.submissions.submit(req.body, {
        idempotencyKey: req.get('idempotency-key') ?? undefined,
        tenant: tenantScope(principalOf(res)),
      });
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
      else if (
        err instanceof EmptyBodyError ||
        type === 'entity.parse.failed' ||
        (status !== undefined && status >= 400 && status < 500 && !(err instanceof MeshError))
      )
        deps.metrics.submissionsRejected.inc({ reason: 'invalid' });
      next(err);
    },
  );
  return router;
}
