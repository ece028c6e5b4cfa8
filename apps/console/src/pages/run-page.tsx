import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { isFinalRunStatus } from '@mesh/client';
import { useApi } from '../api';
import { TaskCounts } from '../components/counts';
import { Problem } from '../components/problem';
import { StatusBadge } from '../components/status-badge';
import { TaskGraph } from '../components/task-graph';
import { TaskPanel } from '../components/task-panel';
import { TaskTable } from '../components/task-table';
import { dependencyEdges } from '../dependencies';
import { formatDuration, formatTime } from '../format';
import { useNow } from '../hooks';
import { useLiveRun } from '../live-run';
import { runHref, runsHref } from '../route';

/** One term of a description list with its description, grouped so that the pairs wrap together. */
function Fact({ term, children }: { term: string; children: ComponentChildren }) {
  return (
    <div class="fact">
      <dt>{term}</dt>
      <dd>{children}</dd>
    </div>
  );
}

/** One run: its task graph, live; the selected task's details; Cancel and Re-run. */
export function RunPage({ workflow, runId, taskId }: { workflow: string; runId: string; taskId?: string }) {
  const api = useApi();
  const { record, problem, refresh } = useLiveRun(api.client, workflow, runId, api.problem);
  const [actionProblem, setActionProblem] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState<'cancel' | 'rerun' | undefined>(undefined);
  const seenEdges = useRef(new Map<string, Set<string>>());
  const live = record !== undefined && !isFinalRunStatus(record.status);
  const now = useNow(1000, live);
  const title = record ? `${record.workflow} ${record.status}` : workflow;
  useEffect(() => {
    document.title = `${title} · Mesh console`;
  }, [title]);

  if (!record)
    return (
      <section>
        <p>
          <a href={runsHref()}>← Runs</a>
        </p>
        <h1>
          Run <span class="mono">{runId}</span>
        </h1>
        <Problem text={problem} />
        {problem ? null : <p class="muted">Loading the run…</p>}
      </section>
    );

  const edges = dependencyEdges(record.tasks, seenEdges.current);
  const selected = taskId === undefined ? undefined : record.tasks.find((t) => t.id === taskId);
  const hardware = selected?.runnerId
    ? (record.runners[selected.runnerId] ?? record.hardware[selected.runnerId])
    : undefined;

  const act = async (what: 'cancel' | 'rerun') => {
    setBusy(what);
    setActionProblem(undefined);
    try {
      if (what === 'cancel') {
        await api.client.cancel(workflow, runId);
        refresh();
      } else {
        const accepted = await api.client.rerun(workflow, runId);
        location.hash = runHref(accepted.workflow, accepted.runId);
      }
    } catch (err) {
      setActionProblem(api.problem(err));
      refresh();
    } finally {
      setBusy(undefined);
    }
  };

  const runDuration = record.startedAt ? (record.finishedAt ?? now) - record.startedAt : undefined;
  return (
    <section aria-labelledby="run-title">
      <p>
        <a href={runsHref()}>← Runs</a>
      </p>
      <div class="run-head">
        <h1 id="run-title">
          {record.workflow} <span class="mono run-id">{record.runId}</span>
        </h1>
        <div class="actions">
          <button type="button" disabled={!live || busy !== undefined} onClick={() => void act('cancel')}>
            {busy === 'cancel' ? 'Cancelling…' : 'Cancel run'}
          </button>
          <button type="button" disabled={live || busy !== undefined} onClick={() => void act('rerun')}>
            {busy === 'rerun' ? 'Starting…' : 'Re-run'}
          </button>
        </div>
      </div>
      <dl class="run-facts">
        <Fact term="Status">
          <StatusBadge status={record.status} />
          <span class="visually-hidden" aria-live="polite" data-run-status={record.status}>
            run {record.status}
          </span>
        </Fact>
        <Fact term="Tenant">{record.tenant}</Fact>
        {record.domain ? <Fact term="Domain">{record.domain}</Fact> : null}
        <Fact term="Submitted">{formatTime(record.submittedAt)}</Fact>
        <Fact term="Duration">
          {runDuration === undefined ? <span class="muted">not started</span> : formatDuration(runDuration)}
        </Fact>
        <Fact term="Tasks">
          <TaskCounts counts={record.counts} />
        </Fact>
        {record.rerunOf ? (
          <Fact term="Re-run of">
            <a href={runHref(record.workflow, record.rerunOf)} class="mono">
              {record.rerunOf}
            </a>
          </Fact>
        ) : null}
      </dl>
      {record.error ? (
        <p class="run-error">
          <strong>Error: </strong>
          <span data-field="run-error">{record.error}</span>
        </p>
      ) : null}
      <Problem text={actionProblem ?? problem} />
      <div class="run-body">
        <TaskGraph
          workflow={record.workflow}
          runId={record.runId}
          tasks={record.tasks}
          edges={edges}
          runners={record.runners}
          selected={taskId}
          now={now}
        />
        <TaskPanel
          task={selected}
          hardware={hardware}
          dependsOn={edges.filter(([, to]) => to === selected?.id).map(([from]) => from)}
          now={now}
        />
      </div>
      <TaskTable run={record} selected={taskId} now={now} />
    </section>
  );
}
