import { useState } from 'preact/hooks';
import { RUN_STATUSES, type RunSummary } from '@mesh/client';
import { useApi } from '../api';
import { TaskCounts } from '../components/counts';
import { Problem } from '../components/problem';
import { StatusBadge } from '../components/status-badge';
import { listQuery, NO_FILTERS, type RunFilters } from '../filters';
import { formatDuration, formatTime } from '../format';
import { useNow, usePolling } from '../hooks';
import { runHref } from '../route';

/** How often the list is read again. */
export const LIST_POLL_MS = 2000;

/** Every run the caller may see, newest first, filtered, refreshed every LIST_POLL_MS. */
export function RunsList() {
  const api = useApi();
  const [filters, setFilters] = useState<RunFilters>(NO_FILTERS);
  const [runs, setRuns] = useState<readonly RunSummary[] | undefined>(undefined);
  const [more, setMore] = useState(false);
  const [problem, setProblem] = useState<string | undefined>(undefined);
  const now = useNow(1000, true);

  usePolling(
    async (signal) => {
      try {
        const page = await api.client.list(listQuery(filters), { signal });
        if (signal.aborted) return;
        setRuns(page.runs);
        setMore(page.nextCursor !== null);
        setProblem(undefined);
      } catch (err) {
        if (!signal.aborted) setProblem(api.problem(err));
      }
    },
    LIST_POLL_MS,
    [api, filters],
  );

  const field = (name: keyof RunFilters) => ({
    id: `filter-${name}`,
    name,
    value: filters[name],
    onInput: (e: Event) => setFilters({ ...filters, [name]: (e.currentTarget as HTMLInputElement).value }),
  });

  return (
    <section aria-labelledby="runs-title">
      <h1 id="runs-title">Runs</h1>
      <form class="filters" role="search" aria-label="filter runs" onSubmit={(e) => e.preventDefault()}>
        <div>
          <label for="filter-tenant">Tenant</label>
          <input type="text" autocomplete="off" {...field('tenant')} />
        </div>
        <div>
          <label for="filter-workflow">Workflow</label>
          <input type="text" autocomplete="off" {...field('workflow')} />
        </div>
        <div>
          <label for="filter-status">Status</label>
          <select {...field('status')} onChange={field('status').onInput}>
            <option value="">any</option>
            {RUN_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="filter-since">Submitted since</label>
          <input type="datetime-local" step={1} {...field('since')} />
        </div>
        <button type="button" onClick={() => setFilters(NO_FILTERS)}>
          Clear filters
        </button>
      </form>
      <Problem text={problem} />
      {runs === undefined ? (
        <p class="muted">Loading runs…</p>
      ) : runs.length === 0 ? (
        <p class="muted">No runs match.</p>
      ) : (
        <table class="runs">
          <caption class="visually-hidden">Runs, newest first, refreshed every {LIST_POLL_MS / 1000} s</caption>
          <thead>
            <tr>
              <th scope="col">Run</th>
              <th scope="col">Workflow</th>
              <th scope="col">Tenant</th>
              <th scope="col">Status</th>
              <th scope="col">Tasks</th>
              <th scope="col">Submitted</th>
              <th scope="col">Duration</th>
            </tr>
          </thead>
          <tbody>
            {runs.map((r) => (
              <tr key={r.runId} data-run-id={r.runId}>
                <td>
                  <a href={runHref(r.workflow, r.runId)} class="mono run-link">
                    {r.runId}
                  </a>
                  {r.rerunOf ? <span class="muted"> (re-run)</span> : null}
                </td>
                <td>{r.workflow}</td>
                <td>{r.tenant}</td>
                <td>
                  <StatusBadge status={r.status} />
                </td>
                <td>
                  <TaskCounts counts={r.counts} />
                </td>
                <td>{formatTime(r.submittedAt)}</td>
                <td>{r.startedAt ? formatDuration((r.finishedAt ?? now) - r.startedAt) : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {more ? <p class="muted">More runs exist: narrow the filters to see older ones.</p> : null}
    </section>
  );
}
