/** The console's pages, addressed by the URL's hash so the server serves one index.html only. */
export type Route =
  | { readonly page: 'runs' }
  | { readonly page: 'run'; readonly workflow: string; readonly runId: string; readonly taskId?: string }
  | { readonly page: 'not-found'; readonly hash: string };

/** Reads `#/`, `#/runs/<workflow>/<runId>` and `#/runs/<workflow>/<runId>/tasks/<taskId>`. */
export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '') || '/';
  if (path === '/' || path === '/runs' || path === '/runs/') return { page: 'runs' };
  const parts = path.split('/').slice(1);
  const decoded = parts.map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return undefined;
    }
  });
  const [root, workflow, runId, tasks, taskId] = decoded;
  if (root === 'runs' && workflow && runId) {
    if (parts.length === 3) return { page: 'run', workflow, runId };
    if (parts.length === 5 && tasks === 'tasks' && taskId) return { page: 'run', workflow, runId, taskId };
  }
  return { page: 'not-found', hash };
}

/** The hash of the runs list. */
export const runsHref = (): string => '#/';

/** The hash of a run's page, or of one task on it. */
export function runHref(workflow: string, runId: string, taskId?: string): string {
  const base = `#/runs/${encodeURIComponent(workflow)}/${encodeURIComponent(runId)}`;
  return taskId === undefined ? base : `${base}/tasks/${encodeURIComponent(taskId)}`;
}
