import { useMemo } from 'preact/hooks';
import type { HardwareSnapshot, TaskRecord } from '@mesh/client';
import { formatCpu, formatDuration, formatGpus, taskDuration } from '../format';
import { layoutGraph, NODE_HEIGHT, NODE_WIDTH } from '../graph-layout';
import { runHref } from '../route';
import { statusClass } from '../status';

export interface TaskGraphProps {
  readonly workflow: string;
  readonly runId: string;
  readonly tasks: readonly TaskRecord[];
  /** [dependency, dependent] pairs. */
  readonly edges: ReadonlyArray<readonly [string, string]>;
  /** The run's runners' hardware, by runner id (the record's `runners`). */
  readonly runners: Readonly<Record<string, HardwareSnapshot>>;
  readonly selected?: string;
  readonly now: number;
}

const cut = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** The run's tasks as a left-to-right graph; each task is a link that opens its details. */
export function TaskGraph({ workflow, runId, tasks, edges, runners, selected, now }: TaskGraphProps) {
  const ids = tasks.map((t) => t.id);
  const shape = `${ids.join('\n')}\n\n${edges.map((e) => e.join('>')).join('\n')}`;
  // Layout only when the graph's shape changes, not on every status change.
  const graph = useMemo(() => layoutGraph(ids, edges), [shape]);
  const byId = new Map(tasks.map((t) => [t.id, t]));
  return (
    <div class="graph-scroll">
      <svg
        class="graph"
        role="group"
        aria-label={`task graph of run ${runId}: ${tasks.length} tasks`}
        width={graph.width}
        height={graph.height}
        viewBox={`0 0 ${graph.width} ${graph.height}`}
      >
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto">
            <path d="M0 0 L10 5 L0 10 z" class="arrow-head" />
          </marker>
        </defs>
        {graph.edges.map((e) => (
          <path key={`${e.from}>${e.to}`} d={e.path} class="edge" marker-end="url(#arrow)" />
        ))}
        {graph.nodes.map((n) => {
          const t = byId.get(n.id);
          if (!t) return null;
          const duration = taskDuration(t, now);
          const detail = [t.runnerId, duration === undefined ? undefined : formatDuration(duration)]
            .filter(Boolean)
            .join(' · ');
          const hw = t.runnerId ? runners[t.runnerId] : undefined;
          const label = [
            `${t.id}: ${t.status}${t.reused ? ' (reused)' : ''}`,
            detail,
            hw ? [formatGpus(hw), formatCpu(hw)].filter(Boolean).join(', ') : '',
            t.waiting?.message ?? '',
          ]
            .filter(Boolean)
            .join('; ');
          return (
            <a
              key={n.id}
              href={runHref(workflow, runId, t.id)}
              class={`node ${statusClass(t.status)}${t.reused ? ' reused' : ''}${selected === t.id ? ' selected' : ''}`}
              aria-label={label}
              aria-current={selected === t.id ? 'true' : undefined}
              data-task-id={t.id}
              data-status={t.status}
            >
              <title>{label}</title>
              <rect x={n.x} y={n.y} width={NODE_WIDTH} height={NODE_HEIGHT} rx="8" class="node-box" />
              <rect x={n.x} y={n.y} width="7" height={NODE_HEIGHT} rx="3" class="node-stripe" />
              <text x={n.x + 16} y={n.y + 21} class="node-id">
                {cut(t.id, 21)}
              </text>
              <text x={n.x + 16} y={n.y + 39} class="node-status">
                {t.status}
                {t.reused ? ' · reused' : ''}
              </text>
              <text x={n.x + 16} y={n.y + 56} class="node-detail">
                {cut(detail || t.waiting?.message || t.kind, 24)}
              </text>
            </a>
          );
        })}
      </svg>
    </div>
  );
}
