import type { RunRecord } from '@mesh/client';
import { formatDuration, formatGpus, oneLine, taskDuration } from '../format';
import { runHref } from '../route';
import { StatusBadge } from './status-badge';

/** The run's tasks as a table: the graph's facts for keyboards and screen readers, and for a quick scan. */
export function TaskTable({ run, selected, now }: { run: RunRecord; selected?: string; now: number }) {
  return (
    <table class="tasks">
      <caption>Tasks</caption>
      <thead>
        <tr>
          <th scope="col">Task</th>
          <th scope="col">Kind</th>
          <th scope="col">Status</th>
          <th scope="col">Runner</th>
          <th scope="col">GPU</th>
          <th scope="col">Duration</th>
          <th scope="col">Waiting or error</th>
        </tr>
      </thead>
      <tbody>
        {run.tasks.map((t) => {
          const duration = taskDuration(t, now);
          const hw = t.runnerId ? (run.runners[t.runnerId] ?? run.hardware[t.runnerId]) : undefined;
          return (
            <tr key={t.id} class={selected === t.id ? 'selected' : undefined} data-task-id={t.id}>
              <th scope="row">
                <a href={runHref(run.workflow, run.runId, t.id)} class="mono">
                  {t.id}
                </a>
              </th>
              <td>{t.kind}</td>
              <td>
                <StatusBadge status={t.status} reused={t.reused} />
              </td>
              <td>{t.runnerId ?? ''}</td>
              <td>{hw ? formatGpus(hw) : ''}</td>
              <td>{duration === undefined ? '' : formatDuration(duration)}</td>
              <td>{oneLine(t.error ?? t.waiting?.message ?? '')}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
