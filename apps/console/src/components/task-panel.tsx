import { describeRoute, type HardwareSnapshot, type TaskRecord } from '@mesh/client';
import { formatCpu, formatDuration, formatGpus, formatOutput, formatTime, taskDuration } from '../format';
import { StatusBadge } from './status-badge';

export interface TaskPanelProps {
  readonly task: TaskRecord | undefined;
  readonly hardware: HardwareSnapshot | undefined;
  readonly dependsOn: readonly string[];
  readonly now: number;
}

/** Everything the record says of one task. Output and error are shown as text, never as markup. */
export function TaskPanel({ task, hardware, dependsOn, now }: TaskPanelProps) {
  if (!task)
    return (
      <aside class="panel" aria-label="task details">
        <p class="muted">Select a task in the graph or the table to see its details.</p>
      </aside>
    );
  const duration = taskDuration(task, now);
  const output = formatOutput(task.output);
  return (
    <aside class="panel" aria-labelledby="panel-title">
      <h2 id="panel-title">
        Task <span class="mono">{task.id}</span>
      </h2>
      <dl class="facts">
        <dt>Status</dt>
        <dd>
          <StatusBadge status={task.status} reused={task.reused} />
          {task.reused ? <span class="muted"> output taken over from the run this one re-runs</span> : null}
        </dd>
        <dt>Kind</dt>
        <dd>{task.kind}</dd>
        <dt>Attempts</dt>
        <dd>{task.attempts}</dd>
        {dependsOn.length > 0 ? (
          <>
            <dt>Depends on</dt>
            <dd>{dependsOn.join(', ')}</dd>
          </>
        ) : null}
        {task.waiting ? (
          <>
            <dt>Waiting</dt>
            <dd class="waiting">{task.waiting.message}</dd>
          </>
        ) : null}
        <dt>Domain</dt>
        <dd>{task.domain ?? <span class="muted">not chosen yet</span>}</dd>
        {task.route ? (
          <>
            <dt>Routed by</dt>
            <dd data-field="route">{describeRoute(task)}</dd>
          </>
        ) : null}
        <dt>Runner</dt>
        <dd>{task.runnerId ?? <span class="muted">none yet</span>}</dd>
        {hardware ? (
          <>
            <dt>GPU</dt>
            <dd>{formatGpus(hardware)}</dd>
            <dt>CPU</dt>
            <dd>{formatCpu(hardware) || <span class="muted">unknown</span>}</dd>
          </>
        ) : null}
        <dt>Queued</dt>
        <dd>{formatTime(task.queuedAt) || <span class="muted">—</span>}</dd>
        <dt>Started</dt>
        <dd>{formatTime(task.startedAt) || <span class="muted">—</span>}</dd>
        <dt>Finished</dt>
        <dd>{formatTime(task.finishedAt) || <span class="muted">—</span>}</dd>
        <dt>Duration</dt>
        <dd>{duration === undefined ? <span class="muted">—</span> : formatDuration(duration)}</dd>
      </dl>
      {task.error ? (
        <>
          <h3>Error</h3>
          <pre class="error-text" data-field="error">
            {task.error}
          </pre>
        </>
      ) : null}
      {task.output !== undefined ? (
        <>
          <h3>Output</h3>
          <pre class="output" data-field="output">
            {output}
          </pre>
        </>
      ) : null}
    </aside>
  );
}
