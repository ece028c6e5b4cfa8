import { Router, type Request, type Response } from 'express';
import { MeshError, NotFoundError, ValidationError } from '@mesh/errors';
import { isMeshName, meshNameProblem, RUN_ID_PATTERN } from '@mesh/mesh-protocol';
import { principalOf, tenantScope } from '../auth/authenticate';
import { ForbiddenError } from '../auth/errors';
import type { RunControl } from '../runs/run-control';
import { runParams } from './run-params';
import type { SubmissionService } from '../submissions/submission-service';
import { redisCall } from '../http/redis-call';
import { routeLabel } from '../http/request-metrics';
import type { DataEpoch } from '../runs/data-epoch';
import type { ListCursors } from './list-cursors';
import {
  isRunStatus,
  RUN_STATUSES,
  type RunIndex,
  type RunRecord,
  type RunState,
  type RunStatus,
  type RunSummary,
} from '@mesh/run-state';

export const DEFAULT_PAGE = 20;
export const MAX_PAGE = 100;

/** The list's query, its cursor opened: the run index's own cursor inside it. */
function listQuery(
  req: Request,
  open: (cursor: string) => string | undefined,
): { limit: number; cursor?: string; status?: RunStatus } {
  const problems: string[] = [];
  const { limit, cursor, status } = req.query;
  let n = DEFAULT_PAGE;
  if (limit !== undefined) {
    n = Number(limit);
    if (typeof limit !== 'string' || !/^\d+$/.test(limit) || n < 1 || n > MAX_PAGE)
      problems.push(`limit: must be an integer from 1 to ${MAX_PAGE}`);
  }
  const opened = typeof cursor === 'string' ? open(cursor) : undefined;
  if (cursor !== undefined && opened === undefined) problems.push('cursor: is not a cursor this API returned');
  if (status !== undefined && !isRunStatus(status)) problems.push(`status: must be one of ${RUN_STATUSES.join(', ')}`);
  if (problems.length > 0) throw new ValidationError('the query is invalid', problems, 'MESH_QUERY_INVALID');
  return {
    limit: n,
    ...(opened !== undefined ? { cursor: opened } : {}),
    ...(typeof status === 'string' ? { status: status as RunStatus } : {}),
  };
}

/**
 * A run index cursor that resumes after `run`: RunIndex's cursor is the run's index entry (score, the
 * submission time, and run id) as base64url JSON; RunIndex.list checks it with isValidCursor. Never handed
 * out as it is: the caller gets it sealed (ListCursors).
 */
function cursorAfter(run: RunSummary): string {
  return Buffer.from(JSON.stringify([run.submittedAt, run.runId])).toString('base64url');
}

/** How many index pages one tenant-scoped list call reads at most before answering with a cursor. */
const TENANT_SCANS = 3;

/**
 * `GET /workflows/{id}/runs` (summaries, newest first, cursor pagination, status filter) and
 * `GET /workflows/{id}/runs/{runId}` (the whole record), both read from the runs' own state. A list reads
 * each run's `meta` hash only, never its tasks. A tenant's token sees only its tenant's runs: another
 * tenant's run is a 404, exactly like a run that does not exist, so existence never leaks. A tenant's list
 * is never a 404: a workflow without any of its runs is an empty page, whether other tenants use the
 * workflow or nobody does. Every cursor is sealed (ListCursors) for the workflow and the caller, so it
 * never shows which run it points at (often another tenant's).
 */
export interface RunRoutesOptions {
  readonly state: RunState;
  readonly index: RunIndex;
  readonly redisTimeoutMs: number;
  readonly cursors: ListCursors;
  readonly epoch?: DataEpoch;
  /** The run's record as the API shows it (default: the run state's record). */
  readonly record?: (runId: string) => Promise<RunRecord | undefined>;
  readonly control?: RunControl;
  readonly submissions?: SubmissionService;
}

/** `since`: epoch milliseconds or an ISO 8601 date-time; undefined when it is neither. */
function parseSince(value: string): number | undefined {
  if (/^\d{1,15}$/.test(value)) return Number(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value)) return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : at;
}

/** The query of `GET /runs`: listQuery's, plus tenant, workflow and since. */
function allRunsQuery(
  req: Request,
  open: (cursor: string) => string | undefined,
): ReturnType<typeof listQuery> & { tenant?: string; workflow?: string; since?: number } {
  const problems: string[] = [];
  const { tenant, workflow, since } = req.query;
  let base: ReturnType<typeof listQuery> | undefined;
  try {
    base = listQuery(req, open);
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    problems.push(...err.details);
  }
  for (const [name, value] of [
    ['tenant', tenant],
    ['workflow', workflow],
  ] as const) {
    if (value === undefined) continue;
    const bad = typeof value === 'string' ? meshNameProblem(value) : 'must be given once';
    if (bad) problems.push(`${name}: ${bad}`);
  }
  let from: number | undefined;
  if (since !== undefined) {
    from = typeof since === 'string' ? parseSince(since) : undefined;
    if (from === undefined) problems.push('since: must be epoch milliseconds or an ISO 8601 date-time');
  }
  if (problems.length > 0 || !base) throw new ValidationError('the query is invalid', problems, 'MESH_QUERY_INVALID');
  return {
    ...base,
    ...(typeof tenant === 'string' ? { tenant } : {}),
    ...(typeof workflow === 'string' ? { workflow } : {}),
    ...(from !== undefined ? { since: from } : {}),
  };
}

export function runRoutes(o: RunRoutesOptions): Router {
  const { state, index, redisTimeoutMs, cursors, epoch } = o;
  const recordOf = o.record ?? ((runId: string) => state.record(runId));
  const router = Router();
  router.get('/runs', routeLabel('GET /runs'), async (req: Request, res: Response) => {
    const own = tenantScope(principalOf(res));
    const claimed = typeof req.query['tenant'] === 'string' ? req.query['tenant'] : undefined;
    if (own !== undefined && claimed !== undefined && claimed !== own)
      throw new ForbiddenError("this token may list only its own tenant's runs");
    // The cursor is sealed for the whole query, so a page's cursor never serves another filter or caller.
    const scope = {
      workflow: `runs?${['workflow', 'status', 'since']
        .map((k) => `${k}=${typeof req.query[k] === 'string' ? req.query[k] : ''}`)
        .join('&')}`,
      tenant: own ?? claimed,
    };
    const query = allRunsQuery(req, (cursor) => cursors.open(scope, cursor));
    const page = await redisCall(redisTimeoutMs, () =>
      index.listRuns({ ...query, ...(own !== undefined ? { tenant: own } : {}) }),
    );
    res.json({ runs: page.runs, nextCursor: page.nextCursor === null ? null : cursors.seal(scope, page.nextCursor) });
  });
  router.post(
    '/workflows/:id/runs/:runId/cancel',
    routeLabel('POST /workflows/{id}/runs/{runId}/cancel'),
    async (req: Request, res: Response) => {
      const { workflow, runId, tenant, wellFormed, notFound } = runParams(req, res);
      const control = o.control;
      if (!control || !wellFormed) throw notFound();
      res.json(await redisCall(redisTimeoutMs, () => control.cancel(workflow, runId, tenant)));
    },
  );
  router.post(
    '/workflows/:id/runs/:runId/rerun',
    routeLabel('POST /workflows/{id}/runs/{runId}/rerun'),
    async (req: Request, res: Response) => {
      const { workflow, runId, tenant, wellFormed, notFound } = runParams(req, res);
      if (!o.submissions || !wellFormed) throw notFound();
      const accepted = await o.submissions.rerun(workflow, runId, tenant);
      const link = `/workflows/${encodeURIComponent(workflow)}/runs/${accepted.runId}`;
      res
        .status(202)
        .location(link)
        .json({ runId: accepted.runId, workflow, status: 'queued', rerunOf: runId, links: { run: link } });
    },
  );
  router.get('/workflows/:id/runs', routeLabel('GET /workflows/{id}/runs'), async (req: Request, res: Response) => {
    const workflow = req.params['id'] as string;
    const tenant = tenantScope(principalOf(res));
    const scope = { workflow, tenant };
    const query = listQuery(req, (cursor) => cursors.open(scope, cursor));
    const unknown = () => new NotFoundError(`no runs of workflow ${JSON.stringify(workflow)}`);
    const empty = { runs: [] as RunSummary[], nextCursor: null };
    if (!isMeshName(workflow)) {
      if (tenant === undefined) throw unknown();
      res.json({ workflow, ...empty });
      return;
    }
    const page = await redisCall(redisTimeoutMs, async () => {
      if (tenant === undefined) return (await index.known(workflow)) ? index.list(workflow, query) : undefined;
      // Pages of the index filtered to the tenant: short pages are fine, the cursor says where to go on.
      const runs: RunSummary[] = [];
      let cursor = query.cursor;
      for (let scans = 0; scans < TENANT_SCANS; scans++) {
        const next = await index.list(workflow, {
          ...query,
          limit: MAX_PAGE,
          ...(cursor !== undefined ? { cursor } : {}),
        });
        for (const run of next.runs) {
          if (run.tenant !== tenant) continue;
          runs.push(run);
          if (runs.length === query.limit) {
            const last = run === next.runs[next.runs.length - 1];
            return { runs, nextCursor: last ? next.nextCursor : cursorAfter(run) };
          }
        }
        if (next.nextCursor === null) return { runs, nextCursor: null };
        cursor = next.nextCursor;
      }
      return { runs, nextCursor: cursor ?? null };
    });
    if (!page) throw unknown();
    res.json({
      workflow,
      runs: page.runs,
      nextCursor: page.nextCursor === null ? null : cursors.seal(scope, page.nextCursor),
    });
  });
  router.get(
    '/workflows/:id/runs/:runId',
    routeLabel('GET /workflows/{id}/runs/{runId}'),
    async (req: Request, res: Response) => {
      const workflow = req.params['id'] as string;
      const runId = req.params['runId'] as string;
      const tenant = tenantScope(principalOf(res));
      const record = RUN_ID_PATTERN.test(runId) ? await redisCall(redisTimeoutMs, () => recordOf(runId)) : undefined;
      if (!record && epoch && RUN_ID_PATTERN.test(runId)) {
        // Its id says it was accepted before Redis lost its data (a restart without persistence): it ended there.
        const lostAt = await redisCall(redisTimeoutMs, () => epoch.lostAt(runId));
        if (lostAt !== undefined)
          throw new MeshError(
            'MESH_RUN_LOST',
            `run ${JSON.stringify(runId)} failed: its state was lost with Redis's data (the current data set began at ${new Date(lostAt).toISOString()}, as after a restart without persistence); submit it again`,
            { status: 410 },
          );
      }
      if (!record || record.workflow !== workflow || (tenant !== undefined && record.tenant !== tenant))
        throw new NotFoundError(`no run ${JSON.stringify(runId)} of workflow ${JSON.stringify(workflow)}`);
      res.json(record);
    },
  );
  return router;
}
