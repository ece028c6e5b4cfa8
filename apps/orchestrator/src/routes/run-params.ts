import type { Request, Response } from 'express';
import { NotFoundError } from '@mesh/errors';
import { RUN_ID_PATTERN } from '@mesh/mesh-protocol';
import { principalOf, tenantScope } from '../auth/authenticate';

/** What a route of one run (`/workflows/:id/runs/:runId…`) works from. */
export interface RunParams {
  readonly workflow: string;
  readonly runId: string;
  /** The only tenant the caller may see; undefined for an admin. */
  readonly tenant: string | undefined;
  /** Whether the run id is shaped like one (anything else can only be a 404). */
  readonly wellFormed: boolean;
  /** The 404 of this run: the same for a run that does not exist and one the caller may not see. */
  notFound(): NotFoundError;
}

export function runParams(req: Request, res: Response): RunParams {
  const workflow = req.params['id'] as string;
  const runId = req.params['runId'] as string;
  return {
    workflow,
    runId,
    tenant: tenantScope(principalOf(res)),
    wellFormed: RUN_ID_PATTERN.test(runId),
    notFound: () => new NotFoundError(`no run ${JSON.stringify(runId)} of workflow ${JSON.stringify(workflow)}`),
  };
}
