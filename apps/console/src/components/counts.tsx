import { TASK_STATUSES, type TaskStatus } from '@mesh/client';
import { statusClass } from '../status';

/** How many tasks are in each status, the statuses with none left out. */
export function TaskCounts({ counts }: { counts: Readonly<Partial<Record<TaskStatus, number>>> }) {
  const present = TASK_STATUSES.filter((s) => (counts[s] ?? 0) > 0);
  if (present.length === 0) return <span class="muted">no tasks</span>;
  return (
    <ul class="counts" aria-label="tasks by status">
      {present.map((s) => (
        <li key={s} class={`count ${statusClass(s)}`}>
          <span class="n">{counts[s]}</span> {s}
        </li>
      ))}
    </ul>
  );
}
