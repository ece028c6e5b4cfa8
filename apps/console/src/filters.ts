import { RUN_STATUSES, type ListRunsQuery, type RunStatus } from '@mesh/client';

/** How many runs the list shows (the newest). */
const PAGE_SIZE = 50;

export interface RunFilters {
  readonly tenant: string;
  readonly workflow: string;
  readonly status: string;
  /** A `datetime-local` value (local time), or ''. */
  readonly since: string;
}

export const NO_FILTERS: RunFilters = { tenant: '', workflow: '', status: '', since: '' };

/** The list's query from the filters: empty ones left out, `since` as epoch milliseconds. */
export function listQuery(f: RunFilters): ListRunsQuery {
  const since = f.since ? new Date(f.since).getTime() : NaN;
  return {
    limit: PAGE_SIZE,
    ...(f.tenant.trim() ? { tenant: f.tenant.trim() } : {}),
    ...(f.workflow.trim() ? { workflow: f.workflow.trim() } : {}),
    ...((RUN_STATUSES as readonly string[]).includes(f.status) ? { status: f.status as RunStatus } : {}),
    ...(Number.isFinite(since) ? { since } : {}),
  };
}
