import { Router, type Request, type Response } from 'express';
import { NotFoundError, ValidationError } from '@mesh/errors';
import { isMeshName, RUN_ID_PATTERN } from '@mesh/mesh-protocol';
import { routeLabel } from '../http/request-metrics';
import {
  isRunStatus,
  isValidCursor,
  RUN_STATUSES,
  type RunIndex,
  type RunState,
  type RunStatus,
} from '@mesh/run-state';

export const DEFAULT_PAGE = 20;
export const MAX_PAGE = 100;

function listQuery(req: Request): { limit: number; cursor?: string; status?: RunStatus } {
  const problems: string[] = [];
  const { limit, cursor, status } = req.query;
  let n = DEFAULT_PAGE;
  if (limit !== undefined) {
    n = Number(limit);
    if (typeof limit !== 'string' || !/^\d+$/.test(limit) || n < 1 || n > MAX_PAGE)
      problems.push(`limit: must be an integer from 1 to ${MAX_PAGE}`);
  }
  if (cursor !== undefined && (typeof cursor !== 'string' || !isValidCursor(cursor)))
    problems.push('cursor: is not a cursor this API returned');
  if (status !== undefined && !isRunStatus(status)) problems.push(`status: must be one of ${RUN_STATUSES.join(', ')}`);
  if (problems.length > 0) throw new ValidationError('the query is invalid', problems, 'MESH_QUERY_INVALID');
  return {
    limit: n,
    ...(typeof cursor === 'string' ? { cursor } : {}),
    ...(typeof status === 'string' ? { status: status as RunStatus } : {}),
  };
}

/**
 * `GET /workflows/{id}/runs` (summaries, newest first, cursor pagination, status filter) and
 * `GET /workflows/{id}/runs/{runId}` (the whole record), both read from the runs' own state.
 */
export function runRoutes(state: RunState, index: RunIndex): Router {
  const router = Router();
  router.get('/workflows/:id/runs', routeLabel('GET /workflows/{id}/runs'), async (req: Request, res: Response) => {
    const workflow = req.params['id'] as string;
    const query = listQuery(req);
    if (!isMeshName(workflow) || !(await index.known(workflow)))
      throw new NotFoundError(`no runs of workflow ${JSON.stringify(workflow)}`);
    const { runs, nextCursor } = await index.list(workflow, query);
    res.json({ workflow, runs, nextCursor });
  });
  router.get(
    '/workflows/:id/runs/:runId',
    routeLabel('GET /workflows/{id}/runs/{runId}'),
    async (req: Request, res: Response) => {
      const workflow = req.params['id'] as string;
      const runId = req.params['runId'] as string;
      const record = RUN_ID_PATTERN.test(runId) ? await state.record(runId) : undefined;
      if (!record || record.workflow !== workflow)
        throw new NotFoundError(`no run ${JSON.stringify(runId)} of workflow ${JSON.stringify(workflow)}`);
      res.json(record);
    },
  );
  return router;
}
